package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import dev.kiln.tensor.DType;
import java.util.List;

/** Cast between float, int32, int64, uint8, int8 and bool ({@code kiln_cast}). */
final class CastKernels {
    /** The type codes of elementwise.cu, by position. */
    private static final List<DType> TYPES = List.of(DType.FLOAT, DType.INT32, DType.INT64, DType.UINT8, DType.INT8,
            DType.BOOL);

    private CastKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(CastKernels::cast, "Cast");
    }

    private static Kernel cast(BindContext ctx) {
        int from = TYPES.indexOf(StaticShapes.inType(ctx, 0));
        int to = TYPES.indexOf(StaticShapes.outType(ctx, 0));
        // Float to integer casts of out-of-range values differ between C and the spec's saturation; leave them to the CPU.
        if (from < 0 || to < 0 || (from == 0 && to != 0 && to != TYPES.indexOf(DType.BOOL))) {
            return null;
        }
        long n = StaticShapes.size(StaticShapes.out(ctx, 0));
        Grid grid = Grid.stride(n, ElementwiseKernels.THREADS);
        return (CudaKernel) (q, d) -> q.launch("kiln_cast", grid, new LaunchArgs().ptr(d.input(0)).ptr(d.output(0)).i64(n)
                .i32(from).i32(to));
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What a matrix product does to each output tile before leaving it: {@code y = act(acc + bias +
 * residual)}, with the bias per output row (a convolution's per-channel bias) or per column (a
 * MatMul/Gemm bias), and the residual a tensor of the output's layout (a fused skip
 * connection). The product applies it block by block (up to {@code MC x NC} of {@link Sgemm}) right
 * after the block's last accumulation, while the block is still in L2, so a fused
 * Conv+Bias+Add+Relu writes its output once.
 *
 * <p>Immutable; the bias is fixed when a kernel is bound, the residual is given per call.
 */
public final class Epilogue {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Leaves the product as it is. */
    public static final Epilogue NONE = new Epilogue(null, null, Activation.NONE);

    private final float[] rowBias;
    private final float[] colBias;
    private final Activation activation;

    private Epilogue(float[] rowBias, float[] colBias, Activation activation) {
        this.rowBias = rowBias;
        this.colBias = colBias;
        this.activation = Objects.requireNonNull(activation);
    }

    /** Only an activation. */
    public static Epilogue of(Activation activation) {
        return new Epilogue(null, null, activation);
    }

    /** Adds {@code bias[row]} to every element of output row {@code row} (the array is kept). */
    public Epilogue withRowBias(float[] bias) {
        return new Epilogue(bias, null, activation);
    }

    /** Adds {@code bias[col]} to every element of output column {@code col} (the array is kept). */
    public Epilogue withColumnBias(float[] bias) {
        return new Epilogue(null, bias, activation);
    }

    /** The same bias with another activation. */
    public Epilogue withActivation(Activation act) {
        return new Epilogue(rowBias, colBias, act);
    }

    /** The activation. */
    public Activation activation() {
        return activation;
    }

    /** True when applying this epilogue without a residual changes nothing. */
    public boolean isIdentity() {
        return rowBias == null && colBias == null && activation.isNone();
    }

    /**
     * Applies the epilogue to a tile of {@code rows x cols} elements of {@code c} whose first
     * element is {@code cOff}, rows {@code ldc} elements apart; {@code row0, col0} are the tile's
     * coordinates in the whole output (for the bias). {@code residual}, when not null, has the
     * layout of {@code c} and its tile starts at {@code resOff}.
     */
    void apply(MemorySegment c, long cOff, long ldc, int row0, int rows, int col0, int cols,
               MemorySegment residual, long resOff) {
        boolean add = rowBias != null || colBias != null || residual != null;
        for (int r = 0; r < rows; r++) {
            long o = cOff + r * ldc;
            if (add) {
                addRow(c, o, cols, rowBias == null ? 0f : rowBias[row0 + r], col0, residual, resOff + r * ldc);
            }
            if (!activation.isNone()) {
                activation.apply(c, o, cols);
            }
        }
    }

    private void addRow(MemorySegment c, long o, int cols, float rb, int col0, MemorySegment res, long ro) {
        int l = S.length();
        int j = 0;
        for (; j <= cols - l; j += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, c, (o + j) * 4, LE).add(rb);
            if (colBias != null) {
                v = v.add(FloatVector.fromArray(S, colBias, col0 + j));
            }
            if (res != null) {
                v = v.add(FloatVector.fromMemorySegment(S, res, (ro + j) * 4, LE));
            }
            v.intoMemorySegment(c, (o + j) * 4, LE);
        }
        for (; j < cols; j++) {
            float v = c.getAtIndex(Layouts.F32, o + j) + rb;
            if (colBias != null) {
                v += colBias[col0 + j];
            }
            if (res != null) {
                v += res.getAtIndex(Layouts.F32, ro + j);
            }
            c.setAtIndex(Layouts.F32, o + j, v);
        }
    }

    @Override
    public String toString() {
        return "Epilogue[" + (rowBias != null ? "row bias, " : colBias != null ? "column bias, " : "")
                + activation + "]";
    }
}

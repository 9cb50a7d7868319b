package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * {@code kiln.Elementwise(X...)}: runs its {@code body} (a chain of elementwise operators) over
 * the broadcast of its inputs in one pass. The body is compiled at bind time into steps over
 * registers; the output is walked in blocks, each input block is loaded once, every step runs
 * over the block, and the result is stored once. Each step rounds to float as the unfused
 * operator's output would, so fused and unfused results are equal.
 */
final class ElementwiseChainKernels {
    /** Elements per block: the registers of a block stay in L1. */
    static final int BLOCK = 256;

    private ElementwiseChainKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "Elementwise", b -> kernel(Program.compile(b.node().attrGraph("body"))));
    }

    private enum Op { ADD, SUB, MUL, DIV, RELU, CAST, UNARY, BINARY }

    /** One step: {@code reg[out] = op(reg[a], reg[b])}. */
    private record Step(Op op, int a, int b, int out, DoubleUnaryOperator unary, DoubleBinaryOperator binary) {
    }

    /**
     * A compiled body: registers 0..inputs-1 hold the inputs, then one per constant, then one
     * per step result.
     */
    private record Program(int inputs, double[] constants, List<Step> steps, int registers, int result) {
        static Program compile(Graph body) {
            if (body == null || body.outputs().size() != 1) {
                throw new IllegalArgumentException("Elementwise needs a body graph with one output");
            }
            Map<String, Integer> reg = new HashMap<>();
            for (ValueInfo in : body.inputs()) {
                reg.put(in.name(), reg.size());
            }
            int inputs = reg.size();
            double[] constants = new double[body.initializers().size()];
            int c = 0;
            for (Map.Entry<String, Tensor> e : body.initializers().entrySet()) {
                if (e.getValue().size() != 1) {
                    throw new IllegalArgumentException("Elementwise body constant '" + e.getKey() + "' is not a scalar");
                }
                constants[c++] = (float) e.getValue().getDouble(0);
                reg.put(e.getKey(), reg.size());
            }
            List<Step> steps = new ArrayList<>();
            for (Node n : body.nodes()) {
                int a = slot(reg, n, 0);
                int b = n.inputs().size() > 1 ? slot(reg, n, 1) : -1;
                int out = reg.size();
                steps.add(step(n, a, b, out));
                reg.put(n.outputs().get(0), out);
            }
            Integer result = reg.get(body.outputs().get(0).name());
            if (result == null) {
                throw new IllegalArgumentException("Elementwise body output is not computed");
            }
            return new Program(inputs, constants, steps, reg.size(), result);
        }

        private static int slot(Map<String, Integer> reg, Node n, int i) {
            Integer r = reg.get(n.input(i));
            if (r == null) {
                throw new IllegalArgumentException("Elementwise body node " + n.describe() + " reads unknown '" + n.input(i) + "'");
            }
            return r;
        }

        private static Step step(Node n, int a, int b, int out) {
            if (n.domain().equals("kiln") && n.opType().equals("Gelu")) {
                DoubleUnaryOperator f = n.attrString("approximate", "none").equals("tanh") ? Epilogue::geluTanh : Epilogue::gelu;
                return new Step(Op.UNARY, a, b, out, f, null);
            }
            if (!n.domain().isEmpty() || (b >= 0) != binary(n.opType()) || n.inputs().size() > 2) {
                throw new IllegalArgumentException("Elementwise body cannot hold " + n.describe());
            }
            return switch (n.opType()) {
                case "Add" -> new Step(Op.ADD, a, b, out, null, null);
                case "Sub" -> new Step(Op.SUB, a, b, out, null, null);
                case "Mul" -> new Step(Op.MUL, a, b, out, null, null);
                case "Div" -> new Step(Op.DIV, a, b, out, null, null);
                case "Pow" -> new Step(Op.BINARY, a, b, out, null, Math::pow);
                case "Max" -> new Step(Op.BINARY, a, b, out, null, (x, y) -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN
                        : Math.max(x, y));
                case "Min" -> new Step(Op.BINARY, a, b, out, null, (x, y) -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN
                        : Math.min(x, y));
                case "Relu" -> new Step(Op.RELU, a, b, out, null, null);
                case "Abs" -> new Step(Op.UNARY, a, b, out, Math::abs, null);
                case "Cast" -> {
                    if (n.attrInt("to", 0) != DType.FLOAT.code()) {
                        throw new IllegalArgumentException("Elementwise body casts only to float: " + n.describe());
                    }
                    yield new Step(Op.CAST, a, b, out, null, null);
                }
                default -> {
                    DoubleUnaryOperator f = UnaryKernels.function(n);
                    if (f == null) {
                        throw new IllegalArgumentException("Elementwise body cannot hold " + n.describe());
                    }
                    yield new Step(Op.UNARY, a, b, out, f, null);
                }
            };
        }

        private static boolean binary(String op) {
            return switch (op) {
                case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min" -> true;
                default -> false;
            };
        }
    }

    private static Kernel kernel(Program p) {
        return k -> {
            if (k.inputCount() != p.inputs()) {
                throw new IllegalArgumentException("Elementwise body takes " + p.inputs() + " inputs, given " + k.inputCount());
            }
            Tensor[] in = new Tensor[p.inputs()];
            Shape[] shapes = new Shape[in.length];
            for (int i = 0; i < in.length; i++) {
                in[i] = k.tensor(i);
                shapes[i] = in[i].shape();
                if (in[i].dtype() == DType.STRING || !(in[i].dtype().isFloat() || in[i].dtype().isInteger()
                        || in[i].dtype() == DType.BOOL)) {
                    throw new IllegalArgumentException("Elementwise input " + i + " is not numeric: " + in[i].dtype());
                }
            }
            Shape out = Shapes.broadcast(shapes);
            Tensor y = k.allocate(0, DType.FLOAT, out);
            if (out.size() == 0) {
                return;
            }
            // Rows of the broadcast: output start and, per input, start; steps are the same for every row.
            List<long[]> rows = new ArrayList<>();
            long[] steps = new long[in.length];
            long[] rowLen = {0};
            Broadcast.to(out, shapes).forEachRow((o, len, s, st) -> {
                long[] r = new long[in.length + 1];
                r[0] = o;
                System.arraycopy(s, 0, r, 1, in.length);
                rows.add(r);
                System.arraycopy(st, 0, steps, 0, in.length);
                rowLen[0] = len;
            });
            long len = rowLen[0];
            long blocksPerRow = Math.ceilDiv(len, BLOCK);
            k.parallel().forRange(rows.size() * blocksPerRow, Math.max(1, 16384 / BLOCK), (start, end) -> {
                double[][] reg = new double[p.registers()][BLOCK];
                for (int c = 0; c < p.constants().length; c++) {
                    java.util.Arrays.fill(reg[p.inputs() + c], p.constants()[c]);
                }
                for (long t = start; t < end; t++) {
                    long[] r = rows.get((int) (t / blocksPerRow));
                    long off = (t % blocksPerRow) * BLOCK;
                    int n = (int) Math.min(BLOCK, len - off);
                    for (int i = 0; i < in.length; i++) {
                        load(in[i], r[i + 1] + off * steps[i], steps[i], reg[i], n);
                    }
                    for (Step s : p.steps()) {
                        run(s, reg, n);
                    }
                    MemorySegment ys = y.data();
                    double[] res = reg[p.result()];
                    for (int e = 0; e < n; e++) {
                        ys.setAtIndex(Layouts.F32, r[0] + off + e, (float) res[e]);
                    }
                }
            });
        };
    }

    private static void load(Tensor t, long start, long step, double[] dst, int n) {
        if (step == 0) {
            java.util.Arrays.fill(dst, 0, n, t.getDouble(start));
        } else if (t.dtype() == DType.FLOAT) {
            MemorySegment s = t.data();
            for (int e = 0; e < n; e++) {
                dst[e] = s.getAtIndex(Layouts.F32, start + e);
            }
        } else {
            for (int e = 0; e < n; e++) {
                dst[e] = t.getDouble(start + e);
            }
        }
    }

    private static void run(Step s, double[][] reg, int n) {
        double[] a = reg[s.a()];
        double[] b = s.b() >= 0 ? reg[s.b()] : null;
        double[] r = reg[s.out()];
        switch (s.op()) {
            case ADD -> {
                for (int e = 0; e < n; e++) {
                    r[e] = (float) (a[e] + b[e]);
                }
            }
            case SUB -> {
                for (int e = 0; e < n; e++) {
                    r[e] = (float) (a[e] - b[e]);
                }
            }
            case MUL -> {
                for (int e = 0; e < n; e++) {
                    r[e] = (float) (a[e] * b[e]);
                }
            }
            case DIV -> {
                for (int e = 0; e < n; e++) {
                    r[e] = (float) (a[e] / b[e]);
                }
            }
            case RELU -> {
                for (int e = 0; e < n; e++) {
                    r[e] = Math.max(0.0, a[e]);
                }
            }
            case CAST -> {
                for (int e = 0; e < n; e++) {
                    r[e] = (float) a[e];
                }
            }
            case UNARY -> {
                DoubleUnaryOperator f = s.unary();
                for (int e = 0; e < n; e++) {
                    r[e] = (float) f.applyAsDouble(a[e]);
                }
            }
            case BINARY -> {
                DoubleBinaryOperator f = s.binary();
                for (int e = 0; e < n; e++) {
                    r[e] = (float) f.applyAsDouble(a[e], b[e]);
                }
            }
        }
    }
}

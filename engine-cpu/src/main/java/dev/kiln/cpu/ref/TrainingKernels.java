package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Training: the optimizers of {@code ai.onnx.preview.training} (Adagrad, Adam, Momentum), and
 * Kiln's internal operators that the compiler's expansion of {@code Gradient} emits:
 * {@code kiln.FillLike} (a tensor shaped and typed like its input, filled with the attribute
 * {@code value}) and {@code kiln.SumToShape} (a gradient summed over the axes its second input
 * was broadcast along, giving that input's shape).
 */
final class TrainingKernels {
    private TrainingKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "FillLike", TrainingKernels::fillLike);
        r.add("kiln", "SumToShape", b -> TrainingKernels::sumToShape);
        r.add(TRAINING, "Adagrad", TrainingKernels::adagrad);
        r.add(TRAINING, "Adam", TrainingKernels::adam);
        r.add(TRAINING, "Momentum", TrainingKernels::momentum);
    }

    private static final String TRAINING = "ai.onnx.preview.training";

    /** One optimizer step for one tensor: reads {@code in[k][i]} (X, G, state...) and writes {@code out[k][i]}. */
    @FunctionalInterface
    private interface Update {
        void apply(double[] in, double[] out);
    }

    /**
     * Runs an optimizer over its variadic inputs: {@code n} tensors, each followed (in groups)
     * by {@code states} companions; outputs are the new tensors and then the new companions.
     * Companions broadcast to their tensor's shape.
     */
    private static void optimize(KernelContext k, int groups, java.util.function.Function<KernelContext, Update> step) {
        int variadic = k.inputCount() - 2;
        if (variadic <= 0 || variadic % groups != 0) {
            throw new IllegalArgumentException(k.node().opType() + " takes R, T and " + groups
                    + " tensors per optimized value; got " + variadic);
        }
        int n = variadic / groups;
        Update update = step.apply(k);
        int outGroups = k.outputCount() / Math.max(n, 1);
        for (int v = 0; v < n; v++) {
            Tensor x = k.tensor(2 + v);
            Shape[] shapes = new Shape[groups];
            Tensor[] in = new Tensor[groups];
            for (int g = 0; g < groups; g++) {
                in[g] = k.tensor(2 + g * n + v);
                shapes[g] = in[g].shape();
            }
            Broadcast bc = Broadcast.to(x.shape(), shapes);
            if (!dev.kiln.ops.Shapes.broadcast(shapes).equals(x.shape())) {
                throw new IllegalArgumentException(k.node().opType() + " inputs do not broadcast to " + x.shape());
            }
            Tensor[] out = new Tensor[outGroups];
            for (int g = 0; g < outGroups; g++) {
                int o = g * n + v;
                out[g] = k.hasOutput(o) ? k.allocate(o, x.dtype(), x.shape()) : null;
            }
            double[] a = new double[groups];
            double[] b = new double[outGroups];
            bc.forEachRow((o, len, start, stepOf) -> {
                for (long i = 0; i < len; i++) {
                    for (int g = 0; g < groups; g++) {
                        a[g] = in[g].getDouble(start[g] + i * stepOf[g]);
                    }
                    update.apply(a, b);
                    for (int g = 0; g < outGroups; g++) {
                        if (out[g] != null) {
                            out[g].setDouble(o + i, b[g]);
                        }
                    }
                }
            });
        }
    }

    private static Kernel adagrad(BindContext b) {
        double decay = b.node().attrFloat("decay_factor", 0f);
        double eps = b.node().attrFloat("epsilon", 0f);
        double norm = b.node().attrFloat("norm_coefficient", 0f);
        return k -> optimize(k, 3, c -> {
            double r = c.tensor(0).getDouble(0) / (1 + c.tensor(1).getDouble(0) * decay);
            return (in, out) -> {
                double g = norm * in[0] + in[1];
                double h = in[2] + g * g;
                out[0] = in[0] - r * g / (Math.sqrt(h) + eps);
                out[1] = h;
            };
        });
    }

    private static Kernel adam(BindContext b) {
        double alpha = b.node().attrFloat("alpha", 0.9f);
        double beta = b.node().attrFloat("beta", 0.999f);
        double eps = b.node().attrFloat("epsilon", 0f);
        double norm = b.node().attrFloat("norm_coefficient", 0f);
        double post = b.node().attrFloat("norm_coefficient_post", 0f);
        return k -> optimize(k, 4, c -> {
            double r = c.tensor(0).getDouble(0);
            double t = c.tensor(1).getDouble(0);
            double adjusted = t > 0 ? r * Math.sqrt(1 - Math.pow(beta, t)) / (1 - Math.pow(alpha, t)) : r;
            return (in, out) -> {
                double g = norm * in[0] + in[1];
                double v = alpha * in[2] + (1 - alpha) * g;
                double h = beta * in[3] + (1 - beta) * g * g;
                out[0] = (1 - post) * (in[0] - adjusted * v / (Math.sqrt(h) + eps));
                out[1] = v;
                out[2] = h;
            };
        });
    }

    private static Kernel momentum(BindContext b) {
        double alpha = b.node().attrFloat("alpha", 0f);
        double beta = b.node().attrFloat("beta", 0f);
        double norm = b.node().attrFloat("norm_coefficient", 0f);
        String mode = b.node().attrString("mode", "standard");
        if (!mode.equals("standard") && !mode.equals("nesterov")) {
            throw new dev.kiln.ModelFormatException("Momentum mode must be standard or nesterov, got '" + mode + "'");
        }
        boolean nesterov = mode.equals("nesterov");
        return k -> optimize(k, 3, c -> {
            double r = c.tensor(0).getDouble(0);
            double betaAdjusted = c.tensor(1).getDouble(0) > 0 ? beta : 1;
            return (in, out) -> {
                double g = norm * in[0] + in[1];
                double v = alpha * in[2] + betaAdjusted * g;
                out[0] = in[0] - r * (nesterov ? g + alpha * v : v);
                out[1] = v;
            };
        });
    }

    private static Kernel fillLike(BindContext b) {
        double value = b.node().attrFloat("value", 0f);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            for (long i = 0; i < y.size(); i++) {
                y.setDouble(i, value);
            }
        };
    }

    private static void sumToShape(KernelContext k) {
        Tensor g = k.tensor(0);
        Shape target = k.tensor(1).shape();
        if (g.shape().equals(target)) {
            Tensor y = k.allocate(0, g.dtype(), target);
            g.copyInto(y);
            return;
        }
        if (!dev.kiln.ops.Shapes.broadcast(g.shape(), target).equals(g.shape())) {
            throw new IllegalArgumentException("a gradient of shape " + g.shape() + " cannot come from broadcasting "
                    + target);
        }
        Broadcast bc = Broadcast.to(g.shape(), target);
        double[] sums = new double[Math.toIntExact(target.size())];
        bc.forEachRow((o, len, start, step) -> {
            for (long i = 0; i < len; i++) {
                sums[(int) (start[0] + i * step[0])] += g.getDouble(o + i);
            }
        });
        Tensor y = k.allocate(0, g.dtype(), target);
        for (int i = 0; i < sums.length; i++) {
            y.setDouble(i, sums[i]);
        }
    }
}

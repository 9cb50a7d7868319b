package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.Tensor;

/**
 * One step of the training optimizers of ai.onnx.preview.training: Adagrad, Adam and Momentum
 * (standard and Nesterov). Inputs are R, T, then n tensors, their gradients and their
 * optimizer states; each optimized tensor is updated elementwise with its own gradient and
 * states, which must share its shape.
 */
final class OptimizerKernels {
    private OptimizerKernels() {
    }

    private static final String DOMAIN = "ai.onnx.preview.training";

    static void register(KernelRegistry r) {
        r.add(DOMAIN, "Adagrad", OptimizerKernels::adagrad);
        r.add(DOMAIN, "Adam", OptimizerKernels::adam);
        r.add(DOMAIN, "Momentum", OptimizerKernels::momentum);
    }

    /** The elementwise update of one coordinate: reads {@code in}, writes {@code out}. */
    @FunctionalInterface
    private interface Step {
        void apply(double[] in, double[] out);
    }

    /**
     * Runs {@code step} over every coordinate of every optimized tensor: {@code in} holds X, G
     * and the states; {@code out} the new X and new states.
     */
    private static void update(KernelContext k, int states, Step step) {
        int groups = 2 + states;
        int variadic = k.inputCount() - 2;
        if (variadic <= 0 || variadic % groups != 0) {
            throw new IllegalArgumentException(k.node().opType() + " takes R, T and groups of " + groups
                    + " tensors, got " + k.inputCount() + " inputs");
        }
        int n = variadic / groups;
        if (k.outputCount() > n * (1 + states)) {
            throw new IllegalArgumentException(k.node().opType() + " has at most " + n * (1 + states) + " outputs");
        }
        double[] in = new double[groups];
        double[] out = new double[1 + states];
        for (int t = 0; t < n; t++) {
            Tensor[] ins = new Tensor[groups];
            for (int g = 0; g < groups; g++) {
                ins[g] = k.tensor(2 + g * n + t);
                if (!ins[g].shape().equals(ins[0].shape())) {
                    throw new IllegalArgumentException("tensor " + t + ": input " + (2 + g * n + t) + " has shape "
                            + ins[g].shape() + ", not " + ins[0].shape());
                }
            }
            Tensor[] outs = new Tensor[1 + states];
            for (int o = 0; o <= states; o++) {
                int idx = o * n + t;
                outs[o] = idx < k.outputCount() && k.hasOutput(idx) ? k.allocate(idx, ins[0].dtype(), ins[0].shape()) : null;
            }
            for (long i = 0; i < ins[0].size(); i++) {
                for (int g = 0; g < groups; g++) {
                    in[g] = ins[g].getDouble(i);
                }
                step.apply(in, out);
                for (int o = 0; o <= states; o++) {
                    if (outs[o] != null) {
                        outs[o].setDouble(i, out[o]);
                    }
                }
            }
        }
    }

    private static Kernel adagrad(BindContext b) {
        double decay = b.node().attrFloat("decay_factor", 0f);
        double eps = b.node().attrFloat("epsilon", 0f);
        double norm = b.node().attrFloat("norm_coefficient", 0f);
        return k -> {
            double r = k.tensor(0).getDouble(0) / (1 + k.tensor(1).getLong(0) * decay);
            update(k, 1, (in, out) -> {
                double g = norm * in[0] + in[1];
                double h = in[2] + g * g;
                out[0] = in[0] - r * g / (Math.sqrt(h) + eps);
                out[1] = h;
            });
        };
    }

    private static Kernel adam(BindContext b) {
        double alpha = b.node().attrFloat("alpha", 0.9f);
        double beta = b.node().attrFloat("beta", 0.999f);
        double eps = b.node().attrFloat("epsilon", 0f);
        double norm = b.node().attrFloat("norm_coefficient", 0f);
        double normPost = b.node().attrFloat("norm_coefficient_post", 0f);
        return k -> {
            double r = k.tensor(0).getDouble(0);
            long t = k.tensor(1).getLong(0);
            double rAdj = t > 0 ? r * Math.sqrt(1 - Math.pow(beta, t)) / (1 - Math.pow(alpha, t)) : r;
            update(k, 2, (in, out) -> {
                double g = norm * in[0] + in[1];
                double v = alpha * in[2] + (1 - alpha) * g;
                double h = beta * in[3] + (1 - beta) * g * g;
                double x = in[0] - rAdj * v / (Math.sqrt(h) + eps);
                out[0] = (1 - normPost) * x;
                out[1] = v;
                out[2] = h;
            });
        };
    }

    private static Kernel momentum(BindContext b) {
        double alpha = b.node().attrFloat("alpha", 0f);
        double beta = b.node().attrFloat("beta", 0f);
        double norm = b.node().attrFloat("norm_coefficient", 0f);
        String mode = b.node().attrString("mode", "");
        if (!mode.equals("standard") && !mode.equals("nesterov")) {
            throw new IllegalArgumentException("Momentum mode must be 'standard' or 'nesterov', got '" + mode + "'");
        }
        boolean nesterov = mode.equals("nesterov");
        return k -> {
            double r = k.tensor(0).getDouble(0);
            double betaAdj = k.tensor(1).getLong(0) > 0 ? beta : 1;
            update(k, 1, (in, out) -> {
                double g = norm * in[0] + in[1];
                double v = alpha * in[2] + betaAdj * g;
                out[0] = in[0] - r * (nesterov ? g + alpha * v : v);
                out[1] = v;
            });
        };
    }
}

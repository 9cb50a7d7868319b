package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.security.SecureRandom;

/**
 * Operators that draw random numbers: RandomUniform, RandomNormal, their -Like forms, Bernoulli,
 * Multinomial, and Dropout (whose training mode drops at random). Each run draws from a fresh
 * {@link Mt19937}: seeded from the node's {@code seed} attribute when it has one, so a seeded node
 * gives the same values on every run, and from a secure random seed otherwise.
 */
final class RandomKernels {
    private static final SecureRandom SEEDS = new SecureRandom();

    private RandomKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(RandomKernels::randomUniform, "RandomUniform");
        r.onnx(RandomKernels::randomNormal, "RandomNormal");
        r.onnx(RandomKernels::randomUniformLike, "RandomUniformLike");
        r.onnx(RandomKernels::randomNormalLike, "RandomNormalLike");
        r.onnx(RandomKernels::bernoulli, "Bernoulli");
        r.onnx(RandomKernels::multinomial, "Multinomial");
        r.onnx(RandomKernels::dropout, "Dropout");
    }

    /** How a node's generator is seeded: a fixed seed, or a new random one per run. */
    private record Seed(Long fixed) {
        static Seed of(Node n) {
            return switch (n.attribute("seed")) {
                case Attribute.FloatAttr f -> new Seed((long) f.value());
                case Attribute.IntAttr i -> new Seed(i.value());
                case null -> new Seed(null);
                default -> throw new ModelFormatException("the 'seed' attribute must be a number");
            };
        }

        Mt19937 generator() {
            return new Mt19937(fixed != null ? fixed : SEEDS.nextInt());
        }
    }

    private static DType floatType(Node n, DType def) {
        long code = n.attrInt("dtype", def == null ? 0 : def.code());
        DType t = DType.fromCode((int) code);
        if (t == null || !(t == DType.FLOAT || t == DType.DOUBLE || t == DType.FLOAT16 || t == DType.BFLOAT16)) {
            throw new ModelFormatException(n.opType() + " dtype " + code + " is not a floating type");
        }
        return t;
    }

    private static Shape shapeAttribute(Node n) {
        long[] shape = n.attrInts("shape");
        if (shape == null) {
            throw new ModelFormatException(n.opType() + " needs the 'shape' attribute");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new ModelFormatException(n.opType() + " shape " + java.util.Arrays.toString(shape) + " is negative");
            }
        }
        return Shape.of(shape);
    }

    private static Kernel randomUniform(BindContext b) {
        DType dtype = floatType(b.node(), DType.FLOAT);
        Shape shape = shapeAttribute(b.node());
        return uniform(b.node(), k -> dtype, k -> shape);
    }

    private static Kernel randomUniformLike(BindContext b) {
        boolean given = b.node().attribute("dtype") != null;
        DType dtype = given ? floatType(b.node(), null) : null;
        return uniform(b.node(), k -> dtype != null ? dtype : k.tensor(0).dtype(), k -> k.tensor(0).shape());
    }

    private static Kernel randomNormal(BindContext b) {
        DType dtype = floatType(b.node(), DType.FLOAT);
        Shape shape = shapeAttribute(b.node());
        return normal(b.node(), k -> dtype, k -> shape);
    }

    private static Kernel randomNormalLike(BindContext b) {
        boolean given = b.node().attribute("dtype") != null;
        DType dtype = given ? floatType(b.node(), null) : null;
        return normal(b.node(), k -> dtype != null ? dtype : k.tensor(0).dtype(), k -> k.tensor(0).shape());
    }

    private static Kernel uniform(Node n, java.util.function.Function<KernelContext, DType> dtype,
                                  java.util.function.Function<KernelContext, Shape> shape) {
        double low = n.attrFloat("low", 0f);
        double high = n.attrFloat("high", 1f);
        Seed seed = Seed.of(n);
        return k -> {
            Tensor y = k.allocate(0, checkedFloat(dtype.apply(k)), shape.apply(k));
            Mt19937 g = seed.generator();
            for (long i = 0; i < y.size(); i++) {
                y.setDouble(i, low + (high - low) * g.nextDouble());
            }
        };
    }

    private static Kernel normal(Node n, java.util.function.Function<KernelContext, DType> dtype,
                                 java.util.function.Function<KernelContext, Shape> shape) {
        double mean = n.attrFloat("mean", 0f);
        double scale = n.attrFloat("scale", 1f);
        Seed seed = Seed.of(n);
        return k -> {
            Tensor y = k.allocate(0, checkedFloat(dtype.apply(k)), shape.apply(k));
            Mt19937 g = seed.generator();
            for (long i = 0; i < y.size(); i++) {
                y.setDouble(i, mean + scale * g.nextGaussian());
            }
        };
    }

    private static DType checkedFloat(DType t) {
        if (!(t == DType.FLOAT || t == DType.DOUBLE || t == DType.FLOAT16 || t == DType.BFLOAT16)) {
            throw new IllegalArgumentException("random values of type " + t + " are not defined");
        }
        return t;
    }

    /** Bernoulli: 1 where a uniform draw falls below the input probability, else 0. */
    private static Kernel bernoulli(BindContext b) {
        Seed seed = Seed.of(b.node());
        Attribute dt = b.node().attribute("dtype");
        DType fixed = dt == null ? null : DType.fromCode((int) b.node().attrInt("dtype", 0));
        return k -> {
            Tensor p = k.tensor(0);
            Tensor y = k.allocate(0, fixed != null ? fixed : p.dtype(), p.shape());
            Mt19937 g = seed.generator();
            for (long i = 0; i < p.size(); i++) {
                double pi = p.getDouble(i);
                if (!(pi >= 0 && pi <= 1)) {
                    throw new IllegalArgumentException("Bernoulli probability " + pi + " is outside [0, 1]");
                }
                y.setDouble(i, g.nextDouble() < pi ? 1 : 0);
            }
        };
    }

    /** Multinomial: per row of unnormalized log-probabilities, {@code sample_size} class indices. */
    private static Kernel multinomial(BindContext b) {
        Seed seed = Seed.of(b.node());
        long samples = b.node().attrInt("sample_size", 1);
        DType dtype = DType.fromCode((int) b.node().attrInt("dtype", DType.INT32.code()));
        if (dtype != DType.INT32 && dtype != DType.INT64) {
            throw new ModelFormatException("Multinomial dtype must be int32 or int64");
        }
        if (samples < 0) {
            throw new ModelFormatException("Multinomial sample_size must not be negative");
        }
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() != 2) {
                throw new IllegalArgumentException("Multinomial takes a [batch, classes] input, got " + x.shape());
            }
            long batch = x.shape().dim(0);
            int classes = (int) x.shape().dim(1);
            Tensor y = k.allocate(0, dtype, Shape.of(batch, samples));
            Mt19937 g = seed.generator();
            double[] cumulative = new double[classes];
            for (long r = 0; r < batch; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, x.getDouble(r * classes + c));
                }
                double total = 0;
                for (int c = 0; c < classes; c++) {
                    total += Math.exp(x.getDouble(r * classes + c) - max);
                    cumulative[c] = total;
                }
                if (!(total > 0) || Double.isInfinite(max) || Double.isNaN(total)) {
                    throw new IllegalArgumentException("Multinomial row " + r + " has no finite log-probability");
                }
                for (long s = 0; s < samples; s++) {
                    double u = g.nextDouble() * total;
                    int c = 0;
                    while (c < classes - 1 && cumulative[c] <= u) {
                        c++;
                    }
                    y.setLong(r * samples + s, c);
                }
            }
        };
    }

    /**
     * Dropout. In inference (no {@code training_mode}, or one known to be false; from opset 7 to
     * 11 always; before 7 when {@code is_test} is set) the output is the input itself, a view. In
     * training mode each element is kept where a uniform draw is at least {@code ratio} and
     * scaled by {@code 1 / (1 - ratio)}.
     */
    private static Kernel dropout(BindContext b) {
        boolean attrRatio = b.opset() < 12;
        boolean oldTraining = b.opset() < 7 && b.node().attrInt("is_test", 0) == 0;
        Tensor mode = b.opset() >= 12 && b.node().hasInput(2) ? b.constantInput(2) : null;
        boolean maybeTraining = oldTraining
                || (b.opset() >= 12 && b.node().hasInput(2) && (mode == null || mode.getBoolean(0)));
        Seed seed = Seed.of(b.node());
        // Before opset 10 the mask has the input's type (null here); from 10 it is bool.
        DType maskType = b.opset() < 10 ? null : DType.BOOL;
        if (!maybeTraining) {
            return new Kernel() {
                @Override
                public void run(KernelContext k) {
                    Tensor x = k.tensor(0);
                    k.set(0, x);
                    keepAll(k, x, maskType);
                }

                @Override
                public int viewOf(int output) {
                    return output == 0 ? 0 : -1;
                }
            };
        }
        double fixedRatio = attrRatio ? b.node().attrFloat("ratio", 0.5f) : Double.NaN;
        return k -> {
            Tensor x = k.tensor(0);
            double ratio = !Double.isNaN(fixedRatio) ? fixedRatio : k.hasInput(1) ? k.tensor(1).getDouble(0) : 0.5;
            boolean training = oldTraining || k.tensor(2).getBoolean(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            if (!training || ratio == 0) {
                x.copyInto(y);
                keepAll(k, x, maskType);
                return;
            }
            if (!(ratio >= 0 && ratio < 1)) {
                throw new IllegalArgumentException("Dropout ratio " + ratio + " is outside [0, 1)");
            }
            Tensor mask = k.hasOutput(1) ? k.allocate(1, maskType == null ? x.dtype() : maskType, x.shape()) : null;
            double scale = 1 / (1 - ratio);
            Mt19937 g = seed.generator();
            for (long i = 0; i < x.size(); i++) {
                boolean keep = g.nextDouble() >= ratio;
                y.setDouble(i, keep ? x.getDouble(i) * scale : 0 * x.getDouble(i));
                if (mask != null) {
                    mask.setLong(i, keep ? 1 : 0);
                }
            }
        };
    }

    private static void keepAll(KernelContext k, Tensor x, DType maskType) {
        if (k.hasOutput(1)) {
            Tensor mask = k.allocate(1, maskType == null ? x.dtype() : maskType, x.shape());
            for (long i = 0; i < mask.size(); i++) {
                mask.setLong(i, 1);
            }
        }
    }
}

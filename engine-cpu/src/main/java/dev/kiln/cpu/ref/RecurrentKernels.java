package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * The recurrent layers RNN, GRU and LSTM: forward, reverse and bidirectional, custom activations
 * with their alpha and beta, cell clipping, per-sample sequence lengths, initial states,
 * peepholes, coupled input/forget gates and both layouts. Each (direction, batch sample) runs
 * its own sequence of steps in double.
 */
final class RecurrentKernels {
    private RecurrentKernels() {
    }

    private enum Cell {
        RNN(1, "Tanh"), GRU(3, "Sigmoid", "Tanh"), LSTM(4, "Sigmoid", "Tanh", "Tanh");

        final int gates;
        final List<String> defaults;

        Cell(int gates, String... defaults) {
            this.gates = gates;
            this.defaults = List.of(defaults);
        }
    }

    static void register(KernelRegistry r) {
        r.onnx(b -> recurrent(b, Cell.RNN), "RNN");
        r.onnx(b -> recurrent(b, Cell.GRU), "GRU");
        r.onnx(b -> recurrent(b, Cell.LSTM), "LSTM");
    }

    /** Everything read from the attributes, fixed at bind time. */
    private record Config(Cell cell, int directions, boolean reverseOnly, DoubleUnaryOperator[][] act, double clip,
                          boolean linearBeforeReset, boolean inputForget, boolean batchMajor) {
    }

    private static Kernel recurrent(BindContext b, Cell cell) {
        Node n = b.node();
        String direction = n.attrString("direction", "forward");
        int dirs = switch (direction) {
            case "forward", "reverse" -> 1;
            case "bidirectional" -> 2;
            default -> throw new IllegalArgumentException("unknown direction '" + direction + "'");
        };
        Config cfg = new Config(cell, dirs, direction.equals("reverse"), activations(n, cell, dirs),
                n.attribute("clip") == null ? Double.POSITIVE_INFINITY : n.attrFloat("clip", 0f),
                n.attrInt("linear_before_reset", 0) != 0, n.attrInt("input_forget", 0) != 0,
                n.attrInt("layout", 0) != 0);
        long hiddenAttr = n.attrInt("hidden_size", 0);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor r = k.tensor(2);
            Tensor bias = k.hasInput(3) ? k.tensor(3) : null;
            Tensor lens = k.hasInput(4) ? k.tensor(4) : null;
            Tensor h0 = k.hasInput(5) ? k.tensor(5) : null;
            Tensor c0 = cell == Cell.LSTM && k.hasInput(6) ? k.tensor(6) : null;
            Tensor peep = cell == Cell.LSTM && k.hasInput(7) ? k.tensor(7) : null;
            if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3) {
                throw new IllegalArgumentException("X, W and R must be 3-D, got " + x.shape() + ", " + w.shape()
                        + ", " + r.shape());
            }
            long seq = x.shape().dim(cfg.batchMajor() ? 1 : 0);
            long batch = x.shape().dim(cfg.batchMajor() ? 0 : 1);
            long input = x.shape().dim(2);
            long hidden = hiddenAttr > 0 ? hiddenAttr : r.shape().dim(2);
            int g = cell.gates;
            check(w, Shape.of(dirs, g * hidden, input), "W");
            check(r, Shape.of(dirs, g * hidden, hidden), "R");
            check(bias, Shape.of(dirs, 2 * g * hidden), "B");
            check(lens, Shape.of(batch), "sequence_lens");
            Shape state = cfg.batchMajor() ? Shape.of(batch, dirs, hidden) : Shape.of(dirs, batch, hidden);
            check(h0, state, "initial_h");
            check(c0, state, "initial_c");
            check(peep, Shape.of(dirs, 3 * hidden), "P");
            Tensor y = k.hasOutput(0) ? k.allocate(0, x.dtype(),
                    cfg.batchMajor() ? Shape.of(batch, seq, dirs, hidden) : Shape.of(seq, dirs, batch, hidden)) : null;
            Tensor yh = k.outputCount() > 1 && k.hasOutput(1) ? k.allocate(1, x.dtype(), state) : null;
            Tensor yc = cell == Cell.LSTM && k.outputCount() > 2 && k.hasOutput(2) ? k.allocate(2, x.dtype(), state) : null;
            Layout lay = new Layout(cfg.batchMajor(), seq, batch, dirs, input, hidden);
            k.parallel().forRange(dirs * batch, 1, (start, end) -> {
                for (long db = start; db < end; db++) {
                    int d = (int) (db / batch);
                    long bi = db % batch;
                    long len = lens == null ? seq : lens.getLong(bi);
                    if (len < 0 || len > seq) {
                        throw new IllegalArgumentException("sequence length " + len + " outside [0, " + seq + "]");
                    }
                    boolean reverse = cfg.reverseOnly() || d == 1;
                    new Run(cfg, lay, d, bi, x, w, r, bias, peep).sequence(len, reverse, h0, c0, y, yh, yc);
                }
            });
        };
    }

    private static void check(Tensor t, Shape want, String name) {
        if (t != null && !t.shape().equals(want)) {
            throw new IllegalArgumentException(name + " has shape " + t.shape() + ", expected " + want);
        }
    }

    /** Index arithmetic for both layouts. */
    private record Layout(boolean batchMajor, long seq, long batch, int dirs, long input, long hidden) {
        long x(long t, long b) {
            return (batchMajor ? b * seq + t : t * batch + b) * input;
        }

        long y(long t, int d, long b) {
            return (batchMajor ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
        }

        long state(int d, long b) {
            return (batchMajor ? b * dirs + d : d * batch + b) * hidden;
        }
    }

    /** One direction of one batch sample. */
    private static final class Run {
        private final Config cfg;
        private final Layout lay;
        private final int d;
        private final long b;
        private final Tensor x;
        private final Tensor w;
        private final Tensor r;
        private final Tensor bias;
        private final Tensor peep;
        private final int hidden;
        private final double[] h;
        private final double[] c;
        private final double[] gx;
        private final double[] gh;

        Run(Config cfg, Layout lay, int d, long b, Tensor x, Tensor w, Tensor r, Tensor bias, Tensor peep) {
            this.cfg = cfg;
            this.lay = lay;
            this.d = d;
            this.b = b;
            this.x = x;
            this.w = w;
            this.r = r;
            this.bias = bias;
            this.peep = peep;
            this.hidden = Math.toIntExact(lay.hidden());
            this.h = new double[hidden];
            this.c = new double[hidden];
            this.gx = new double[cfg.cell().gates * hidden];
            this.gh = new double[cfg.cell().gates * hidden];
        }

        void sequence(long len, boolean reverse, Tensor h0, Tensor c0, Tensor y, Tensor yh, Tensor yc) {
            long s0 = lay.state(d, b);
            for (int i = 0; i < hidden; i++) {
                h[i] = h0 == null ? 0 : h0.getDouble(s0 + i);
                c[i] = c0 == null ? 0 : c0.getDouble(s0 + i);
            }
            for (long step = 0; step < len; step++) {
                long t = reverse ? len - 1 - step : step;
                step(t);
                if (y != null) {
                    long yi = lay.y(t, d, b);
                    for (int i = 0; i < hidden; i++) {
                        y.setDouble(yi + i, h[i]);
                    }
                }
            }
            if (y != null) {
                // Steps past a sample's length are padding: their outputs are zero.
                for (long t = len; t < lay.seq(); t++) {
                    long yi = lay.y(t, d, b);
                    for (int i = 0; i < hidden; i++) {
                        y.setDouble(yi + i, 0);
                    }
                }
            }
            for (int i = 0; i < hidden; i++) {
                if (yh != null) {
                    yh.setDouble(s0 + i, h[i]);
                }
                if (yc != null) {
                    yc.setDouble(s0 + i, c[i]);
                }
            }
        }

        /** gx = W x_t + Wb and gh = R h + Rb, gate by gate. */
        private void project(long t) {
            int gh4 = gx.length;
            long xi = lay.x(t, b);
            long in = lay.input();
            long wBase = (long) d * gh4 * in;
            long rBase = (long) d * gh4 * hidden;
            long bBase = (long) d * 2 * gh4;
            for (int j = 0; j < gh4; j++) {
                double sx = bias == null ? 0 : bias.getDouble(bBase + j);
                for (long i = 0; i < in; i++) {
                    sx += w.getDouble(wBase + j * in + i) * x.getDouble(xi + i);
                }
                double sh = bias == null ? 0 : bias.getDouble(bBase + gh4 + j);
                for (int i = 0; i < hidden; i++) {
                    sh += r.getDouble(rBase + (long) j * hidden + i) * h[i];
                }
                gx[j] = sx;
                gh[j] = sh;
            }
        }

        private double act(int which, double v) {
            double clipped = Math.max(-cfg.clip(), Math.min(cfg.clip(), v));
            return cfg.act()[d][which].applyAsDouble(clipped);
        }

        private void step(long t) {
            switch (cfg.cell()) {
                case RNN -> {
                    project(t);
                    for (int i = 0; i < hidden; i++) {
                        h[i] = act(0, gx[i] + gh[i]);
                    }
                }
                case GRU -> gruStep(t);
                case LSTM -> lstmStep(t);
            }
        }

        /** Gates z, r, h; the hidden gate sees the reset hidden state before or after R. */
        private void gruStep(long t) {
            project(t);
            int hs = hidden;
            double[] z = new double[hs];
            double[] reset = new double[hs];
            for (int i = 0; i < hs; i++) {
                z[i] = act(0, gx[i] + gh[i]);
                reset[i] = act(0, gx[hs + i] + gh[hs + i]);
            }
            double[] next = new double[hs];
            for (int i = 0; i < hs; i++) {
                double cand;
                if (cfg.linearBeforeReset()) {
                    cand = act(1, gx[2 * hs + i] + reset[i] * gh[2 * hs + i]);
                } else {
                    long rBase = ((long) d * 3 * hs + 2 * hs + i) * hs;
                    double s = bias == null ? 0 : bias.getDouble((long) d * 6 * hs + 5 * hs + i);
                    for (int j = 0; j < hs; j++) {
                        s += r.getDouble(rBase + j) * reset[j] * h[j];
                    }
                    cand = act(1, gx[2 * hs + i] + s);
                }
                next[i] = (1 - z[i]) * cand + z[i] * h[i];
            }
            System.arraycopy(next, 0, h, 0, hs);
        }

        /**
         * Gates i, o, f, c (the order of W, R and B); peepholes P are ordered i, o, f. The clip
         * bounds the gates' pre-activations, not the cell state fed to h.
         */
        private void lstmStep(long t) {
            project(t);
            int hs = hidden;
            long pBase = (long) d * 3 * hs;
            for (int j = 0; j < hs; j++) {
                double pi = peep == null ? 0 : peep.getDouble(pBase + j);
                double po = peep == null ? 0 : peep.getDouble(pBase + hs + j);
                double pf = peep == null ? 0 : peep.getDouble(pBase + 2 * hs + j);
                double in = act(0, gx[j] + gh[j] + pi * c[j]);
                double f = cfg.inputForget() ? 1 - in : act(0, gx[2 * hs + j] + gh[2 * hs + j] + pf * c[j]);
                double cand = act(1, gx[3 * hs + j] + gh[3 * hs + j]);
                c[j] = f * c[j] + in * cand;
                double o = act(0, gx[hs + j] + gh[hs + j] + po * c[j]);
                h[j] = o * cfg.act()[d][2].applyAsDouble(c[j]);
            }
        }
    }

    /**
     * The activation functions per direction, from {@code activations} (names are case
     * insensitive) or the cell's defaults. {@code activation_alpha} and {@code activation_beta}
     * are consumed in order by the functions that take them; missing values use the defaults of
     * the corresponding ONNX operators.
     */
    private static DoubleUnaryOperator[][] activations(Node n, Cell cell, int dirs) {
        int per = cell.defaults.size();
        List<String> names = n.attrStrings("activations");
        if (names == null || names.isEmpty()) {
            names = dirs == 2 ? concat(cell.defaults, cell.defaults) : cell.defaults;
        } else if (names.size() == per && dirs == 2) {
            names = concat(names, names);
        } else if (names.size() != per * dirs) {
            throw new IllegalArgumentException(cell + " needs " + per * dirs + " activations, got " + names.size());
        }
        float[] alphas = n.attrFloats("activation_alpha");
        float[] betas = n.attrFloats("activation_beta");
        int ai = 0;
        int bi = 0;
        DoubleUnaryOperator[][] out = new DoubleUnaryOperator[dirs][per];
        for (int k = 0; k < per * dirs; k++) {
            String name = names.get(k).toLowerCase(Locale.ROOT);
            boolean usesAlpha = switch (name) {
                case "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu", "affine" -> true;
                default -> false;
            };
            boolean usesBeta = switch (name) {
                case "scaledtanh", "hardsigmoid", "affine" -> true;
                default -> false;
            };
            Double alpha = usesAlpha && alphas != null && ai < alphas.length ? (double) alphas[ai++] : null;
            Double beta = usesBeta && betas != null && bi < betas.length ? (double) betas[bi++] : null;
            out[k / per][k % per] = activation(name, alpha, beta);
        }
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        java.util.ArrayList<String> r = new java.util.ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    private static DoubleUnaryOperator activation(String name, Double alpha, Double beta) {
        return switch (name) {
            case "relu" -> v -> Math.max(0, v);
            case "tanh" -> Math::tanh;
            case "sigmoid" -> v -> 1 / (1 + Math.exp(-v));
            case "affine" -> {
                double a = alpha == null ? 1 : alpha;
                double bb = beta == null ? 0 : beta;
                yield v -> a * v + bb;
            }
            case "leakyrelu" -> {
                double a = alpha == null ? 0.01 : alpha;
                yield v -> v >= 0 ? v : a * v;
            }
            case "thresholdedrelu" -> {
                double a = alpha == null ? 1 : alpha;
                yield v -> v >= a ? v : 0;
            }
            case "scaledtanh" -> {
                double a = alpha == null ? 1 : alpha;
                double bb = beta == null ? 1 : beta;
                yield v -> a * Math.tanh(bb * v);
            }
            case "hardsigmoid" -> {
                double a = alpha == null ? 0.2 : alpha;
                double bb = beta == null ? 0.5 : beta;
                yield v -> Math.min(Math.max(a * v + bb, 0), 1);
            }
            case "elu" -> {
                double a = alpha == null ? 1 : alpha;
                yield v -> v >= 0 ? v : a * (Math.exp(v) - 1);
            }
            case "softsign" -> v -> v / (1 + Math.abs(v));
            case "softplus" -> v -> Math.log1p(Math.exp(v));
            default -> throw new IllegalArgumentException("unknown activation '" + name + "'");
        };
    }
}

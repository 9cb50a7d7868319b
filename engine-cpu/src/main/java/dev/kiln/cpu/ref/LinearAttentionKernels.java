package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * The two stateful operators of linear-attention and state-space layers (Gated DeltaNet,
 * Mamba): LinearAttention, a recurrence over a per-head (d_k x d_v) state, and
 * CausalConvWithState, a depthwise causal convolution that carries its last k - 1 inputs.
 * Both run token by token, which is what the specification defines; chunked forms are an
 * optimization.
 */
final class LinearAttentionKernels {
    private LinearAttentionKernels() {
    }

    private enum Rule { LINEAR, GATED, DELTA, GATED_DELTA }

    static void register(KernelRegistry r) {
        r.onnx(LinearAttentionKernels::linearAttention, "LinearAttention");
        r.onnx(LinearAttentionKernels::causalConv, "CausalConvWithState");
    }

    private static Kernel linearAttention(BindContext b) {
        long hq = b.node().attrInt("q_num_heads", 0);
        long hkv = b.node().attrInt("kv_num_heads", 0);
        double scaleAttr = b.node().attrFloat("scale", 0f);
        String ruleName = b.node().attrString("update_rule", "gated_delta");
        Rule rule = switch (ruleName) {
            case "linear" -> Rule.LINEAR;
            case "gated" -> Rule.GATED;
            case "delta" -> Rule.DELTA;
            case "gated_delta" -> Rule.GATED_DELTA;
            default -> throw new IllegalArgumentException("unknown update_rule '" + ruleName + "'");
        };
        if (hq <= 0 || hkv <= 0 || hq % hkv != 0) {
            throw new IllegalArgumentException("q_num_heads (" + hq + ") must be a positive multiple of kv_num_heads ("
                    + hkv + ")");
        }
        boolean gated = rule == Rule.GATED || rule == Rule.GATED_DELTA;
        boolean delta = rule == Rule.DELTA || rule == Rule.GATED_DELTA;
        return k -> {
            Tensor q = k.tensor(0);
            Tensor key = k.tensor(1);
            Tensor v = k.tensor(2);
            Tensor past = k.hasInput(3) ? k.tensor(3) : null;
            Tensor decay = k.inputCount() > 4 && k.hasInput(4) ? k.tensor(4) : null;
            Tensor beta = k.inputCount() > 5 && k.hasInput(5) ? k.tensor(5) : null;
            if (q.rank() != 3 || key.rank() != 3 || v.rank() != 3) {
                throw new IllegalArgumentException("query, key and value must be 3-D (B, T, H * d)");
            }
            long batch = q.shape().dim(0);
            long steps = q.shape().dim(1);
            long dk = q.shape().dim(2) / hq;
            long dv = v.shape().dim(2) / hkv;
            if (q.shape().dim(2) != hq * dk || !key.shape().equals(Shape.of(batch, steps, hkv * dk))
                    || !v.shape().equals(Shape.of(batch, steps, hkv * dv))) {
                throw new IllegalArgumentException("query " + q.shape() + ", key " + key.shape() + " and value "
                        + v.shape() + " do not match " + hq + " query and " + hkv + " key/value heads");
            }
            Shape stateShape = Shape.of(batch, hkv, dk, dv);
            if (past != null && !past.shape().equals(stateShape)) {
                throw new IllegalArgumentException("past_state " + past.shape() + " should be " + stateShape);
            }
            if (gated && decay == null || delta && beta == null) {
                throw new IllegalArgumentException("update_rule '" + ruleName + "' needs"
                        + (gated ? " decay" : "") + (delta ? " beta" : ""));
            }
            boolean decayPerKey = decay != null && decay.shape().equals(Shape.of(batch, steps, hkv * dk));
            if (decay != null && !decayPerKey && !decay.shape().equals(Shape.of(batch, steps, hkv))) {
                throw new IllegalArgumentException("decay " + decay.shape() + " should be (B, T, H_kv * d_k) or (B, T, H_kv)");
            }
            long betaHeads = beta == null ? 0 : beta.shape().dim(2);
            if (beta != null && (beta.rank() != 3 || beta.shape().dim(0) != batch || beta.shape().dim(1) != steps
                    || betaHeads != hkv && betaHeads != 1)) {
                throw new IllegalArgumentException("beta " + beta.shape() + " should be (B, T, H_kv) or (B, T, 1)");
            }
            double scale = scaleAttr != 0 ? scaleAttr : 1 / Math.sqrt(dk);
            long group = hq / hkv;
            Tensor y = k.allocate(0, q.dtype(), Shape.of(batch, steps, hq * dv));
            Tensor present = k.outputCount() > 1 && k.hasOutput(1)
                    ? k.allocate(1, past != null ? past.dtype() : q.dtype(), stateShape) : null;
            k.parallel().forRange(batch * hkv, 1, (start, end) -> {
                double[][] state = new double[(int) dk][(int) dv];
                double[] kv = new double[(int) dv];
                for (long bh = start; bh < end; bh++) {
                    long bi = bh / hkv;
                    long h = bh % hkv;
                    for (int i = 0; i < dk; i++) {
                        for (int j = 0; j < dv; j++) {
                            state[i][j] = past == null ? 0 : past.getDouble((bh * dk + i) * dv + j);
                        }
                    }
                    for (long t = 0; t < steps; t++) {
                        long row = bi * steps + t;
                        long kBase = (row * hkv + h) * dk;
                        long vBase = (row * hkv + h) * dv;
                        if (gated) {
                            for (int i = 0; i < dk; i++) {
                                double g = Math.exp(decay.getDouble(decayPerKey ? kBase + i : row * hkv + h));
                                for (int j = 0; j < dv; j++) {
                                    state[i][j] *= g;
                                }
                            }
                        }
                        double bt = delta ? beta.getDouble(row * betaHeads + (betaHeads == 1 ? 0 : h)) : 1;
                        // The update adds k outer u, with u = v (linear rules) or beta (v - S^T k).
                        for (int j = 0; j < dv; j++) {
                            double u = v.getDouble(vBase + j);
                            if (delta) {
                                double predicted = 0;
                                for (int i = 0; i < dk; i++) {
                                    predicted += state[i][j] * key.getDouble(kBase + i);
                                }
                                u = bt * (u - predicted);
                            }
                            kv[j] = u;
                        }
                        for (int i = 0; i < dk; i++) {
                            double ki = key.getDouble(kBase + i);
                            for (int j = 0; j < dv; j++) {
                                state[i][j] += ki * kv[j];
                            }
                        }
                        for (long g = 0; g < group; g++) {
                            long qh = h * group + g;
                            long qBase = (row * hq + qh) * dk;
                            for (int j = 0; j < dv; j++) {
                                double o = 0;
                                for (int i = 0; i < dk; i++) {
                                    o += q.getDouble(qBase + i) * state[i][j];
                                }
                                y.setDouble((row * hq + qh) * dv + j, scale * o);
                            }
                        }
                    }
                    if (present != null) {
                        for (int i = 0; i < dk; i++) {
                            for (int j = 0; j < dv; j++) {
                                present.setDouble((bh * dk + i) * dv + j, state[i][j]);
                            }
                        }
                    }
                }
            });
        };
    }

    /**
     * Each channel convolves its past_state (zeros when absent) followed by the input with its own
     * kernel, so output t sees inputs t - k + 1 to t; the state returned is the last k - 1
     * values of that concatenation. {@code silu} (alias {@code swish}) applies x * sigmoid(x).
     */
    private static Kernel causalConv(BindContext b) {
        String activation = b.node().attrString("activation", "none");
        if (!activation.equals("none") && !activation.equals("silu") && !activation.equals("swish")) {
            throw new IllegalArgumentException("unknown activation '" + activation + "'");
        }
        boolean silu = !activation.equals("none");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor bias = k.hasInput(2) ? k.tensor(2) : null;
            Tensor past = k.inputCount() > 3 && k.hasInput(3) ? k.tensor(3) : null;
            if (x.rank() != 3 || w.rank() != 3 || w.shape().dim(0) != x.shape().dim(1) || w.shape().dim(1) != 1) {
                throw new IllegalArgumentException("input (B, C, L) and weight (C, 1, k) do not match: " + x.shape()
                        + ", " + w.shape());
            }
            long batch = x.shape().dim(0);
            long c = x.shape().dim(1);
            long len = x.shape().dim(2);
            long ks = w.shape().dim(2);
            long carry = ks - 1;
            Shape stateShape = Shape.of(batch, c, carry);
            if (past != null && !past.shape().equals(stateShape)) {
                throw new IllegalArgumentException("past_state " + past.shape() + " should be " + stateShape);
            }
            if (bias != null && bias.size() != c) {
                throw new IllegalArgumentException("bias " + bias.shape() + " should hold one value per channel");
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            Tensor present = k.outputCount() > 1 && k.hasOutput(1) ? k.allocate(1, x.dtype(), stateShape) : null;
            double[] seq = new double[(int) (carry + len)];
            for (long bc = 0; bc < batch * c; bc++) {
                long ch = bc % c;
                for (int i = 0; i < carry; i++) {
                    seq[i] = past == null ? 0 : past.getDouble(bc * carry + i);
                }
                for (int i = 0; i < len; i++) {
                    seq[(int) carry + i] = x.getDouble(bc * len + i);
                }
                for (long t = 0; t < len; t++) {
                    double acc = bias == null ? 0 : bias.getDouble(ch);
                    for (long j = 0; j < ks; j++) {
                        acc += w.getDouble(ch * ks + j) * seq[(int) (t + j)];
                    }
                    y.setDouble(bc * len + t, silu ? acc / (1 + Math.exp(-acc)) : acc);
                }
                if (present != null) {
                    for (int i = 0; i < carry; i++) {
                        present.setDouble(bc * carry + i, seq[(int) len + i]);
                    }
                }
            }
        };
    }
}

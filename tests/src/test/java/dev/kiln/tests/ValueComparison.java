package dev.kiln.tests;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.MapValue;
import dev.kiln.tensor.OptionalValue;
import dev.kiln.tensor.SequenceValue;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;

/**
 * Compares an actual value with an expected one the way the ONNX backend tests do:
 * {@code |actual - expected| <= atol + rtol * |expected|} elementwise, NaN equal to NaN, exact for
 * integers, bools and strings, and equal types and shapes.
 */
final class ValueComparison {
    private ValueComparison() {
    }

    /** Null when equal within tolerance, else a one-line description of the first difference. */
    static String compare(Value expected, Value actual, double rtol, double atol) {
        if (expected == null || actual == null) {
            return expected == actual ? null : "expected " + describe(expected) + ", got " + describe(actual);
        }
        return switch (expected) {
            case Tensor e -> actual instanceof Tensor a ? tensors(e, a, rtol, atol) : "expected a tensor, got " + actual.type();
            case SequenceValue e -> {
                if (!(actual instanceof SequenceValue a)) {
                    yield "expected a sequence, got " + actual.type();
                }
                if (a.size() != e.size()) {
                    yield "expected a sequence of " + e.size() + ", got " + a.size();
                }
                for (int i = 0; i < e.size(); i++) {
                    String d = compare(e.get(i), a.get(i), rtol, atol);
                    if (d != null) {
                        yield "element " + i + ": " + d;
                    }
                }
                yield null;
            }
            case OptionalValue e -> {
                if (!(actual instanceof OptionalValue a)) {
                    yield "expected an optional, got " + actual.type();
                }
                yield compare(e.value(), a.value(), rtol, atol);
            }
            case MapValue e -> {
                if (!(actual instanceof MapValue a)) {
                    yield "expected a map, got " + actual.type();
                }
                String k = tensors(e.keys(), a.keys(), 0, 0);
                yield k != null ? "keys: " + k : tensors(e.values(), a.values(), rtol, atol);
            }
        };
    }

    private static String describe(Value v) {
        return v == null ? "none" : v.type().toString();
    }

    static String tensors(Tensor e, Tensor a, double rtol, double atol) {
        if (e.dtype() != a.dtype()) {
            return "expected " + e.dtype() + ", got " + a.dtype();
        }
        if (!e.shape().equals(a.shape())) {
            return "expected shape " + e.shape() + ", got " + a.shape();
        }
        long n = e.size();
        DType t = e.dtype();
        long bad = 0;
        long first = -1;
        double worst = 0;
        for (long i = 0; i < n; i++) {
            boolean ok;
            if (t == DType.STRING) {
                ok = e.getString(i).equals(a.getString(i));
            } else if (t.isFloat() || t == DType.COMPLEX64 || t == DType.COMPLEX128) {
                double x = complexAware(e, i);
                double y = complexAware(a, i);
                ok = Double.isNaN(x) ? Double.isNaN(y) : (x == y || Math.abs(y - x) <= atol + rtol * Math.abs(x));
                if (!ok && !Double.isNaN(x)) {
                    worst = Math.max(worst, Math.abs(y - x));
                }
            } else {
                ok = e.getLong(i) == a.getLong(i);
            }
            if (!ok) {
                if (first < 0) {
                    first = i;
                }
                bad++;
            }
        }
        if (bad == 0) {
            return null;
        }
        String ev = t == DType.STRING ? e.getString(first) : t.isFloat() ? Double.toString(e.getDouble(first))
                : Long.toString(e.getLong(first));
        String av = t == DType.STRING ? a.getString(first) : t.isFloat() ? Double.toString(a.getDouble(first))
                : Long.toString(a.getLong(first));
        return bad + " of " + n + " elements differ; first at " + first + ": expected " + ev + ", got " + av
                + (worst > 0 ? "; max |diff| " + worst : "");
    }

    /** Complex tensors compare their float components one by one. */
    private static double complexAware(Tensor t, long i) {
        return switch (t.dtype()) {
            case COMPLEX64 -> t.data().getAtIndex(dev.kiln.tensor.Layouts.F32, i);
            case COMPLEX128 -> t.data().getAtIndex(dev.kiln.tensor.Layouts.F64, i);
            default -> t.getDouble(i);
        };
    }
}

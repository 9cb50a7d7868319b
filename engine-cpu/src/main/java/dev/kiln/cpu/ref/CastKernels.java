package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.MiniFloat;
import dev.kiln.tensor.Tensor;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/**
 * Cast and CastLike between every pair of element types, with the float8 saturation rules and
 * the float8e8m0 rounding modes.
 *
 * <p>Every conversion to a floating type rounds once, from the exact source value: where a
 * value must pass through a wider type first (double to float16, large int64 to bfloat16), it
 * is rounded to odd there, which makes the final round-to-nearest-even exact.
 */
final class CastKernels {
    private CastKernels() {
    }

    /** How values are rounded to float8e8m0 (a power of two). */
    enum E8m0Rounding {
        /** Away from zero (the default). */
        UP,
        /** Toward zero. */
        DOWN,
        /** To the nearest power of two, ties up. */
        NEAREST
    }

    /** Conversion settings taken from the node's attributes. */
    record Mode(boolean saturate, E8m0Rounding rounding) { }

    static void register(KernelRegistry r) {
        r.onnx(CastKernels::cast, "Cast");
        r.onnx(CastKernels::castLike, "CastLike");
        r.onnx(CastKernels::bitCast, "BitCast");
    }

    /** BitCast: the same bytes read as another type of the same width. */
    private static Kernel bitCast(BindContext b) {
        DType to = DType.fromCode((int) b.node().attrInt("to", 0));
        if (to == null || to == DType.UNDEFINED || to == DType.STRING) {
            throw new ModelFormatException("BitCast needs a non-string 'to' type");
        }
        return k -> {
            Tensor x = k.tensor(0);
            if (x.dtype() == DType.STRING || x.dtype().bits() != to.bits()) {
                throw new IllegalArgumentException("BitCast from " + x.dtype() + " (" + x.dtype().bits() + " bits) to "
                        + to + " (" + to.bits() + " bits): the widths must be equal");
            }
            Tensor y = k.allocate(0, to, x.shape());
            java.lang.foreign.MemorySegment.copy(x.data(), 0, y.data(), 0, x.byteSize());
        };
    }

    private static Mode mode(BindContext b) {
        boolean saturate = b.node().attrInt("saturate", 1) != 0;
        String round = b.node().attrString("round_mode", "up");
        E8m0Rounding r = switch (round) {
            case "up" -> E8m0Rounding.UP;
            case "down" -> E8m0Rounding.DOWN;
            case "nearest" -> E8m0Rounding.NEAREST;
            default -> throw new ModelFormatException("Cast round_mode must be up, down or nearest, got '" + round + "'");
        };
        return new Mode(saturate, r);
    }

    private static Kernel cast(BindContext b) {
        DType to = target(b.node());
        Mode mode = mode(b);
        return k -> {
            Tensor x = k.tensor(0);
            convert(x, k.allocate(0, to, x.shape()), mode);
        };
    }

    /** The 'to' attribute: a type code, or before opset 6 the type's name ("FLOAT"). */
    static DType target(dev.kiln.graph.Node n) {
        DType to = null;
        if (n.attribute("to") instanceof dev.kiln.graph.Attribute.StringAttr s) {
            for (DType d : DType.values()) {
                if (d.name().equals(s.value().toUpperCase(Locale.ROOT))) {
                    to = d;
                }
            }
        } else {
            to = DType.fromCode((int) n.attrInt("to", 0));
        }
        if (to == null || to == DType.UNDEFINED) {
            throw new ModelFormatException("Cast needs a valid 'to' attribute");
        }
        return to;
    }

    private static Kernel castLike(BindContext b) {
        Mode mode = mode(b);
        return k -> {
            Tensor x = k.tensor(0);
            convert(x, k.allocate(0, k.tensor(1).dtype(), x.shape()), mode);
        };
    }

    /** Converts every element of {@code x} into {@code y} (same element count). */
    static void convert(Tensor x, Tensor y, Mode mode) {
        DType from = x.dtype();
        DType to = y.dtype();
        if (from == to) {
            x.copyInto(y);
            return;
        }
        if (from == DType.COMPLEX64 || from == DType.COMPLEX128 || to == DType.COMPLEX64 || to == DType.COMPLEX128) {
            throw new IllegalArgumentException("Cast between " + from + " and " + to + " is not defined");
        }
        long n = x.size();
        for (long i = 0; i < n; i++) {
            if (from == DType.STRING) {
                fromString(x.getString(i), y, i, mode);
            } else if (to == DType.STRING) {
                y.setString(i, format(x, i));
            } else if (from.isFloat()) {
                double v = x.getDouble(i);
                if (to.isFloat()) {
                    setFloat(y, i, v, mode);
                } else if (to == DType.BOOL) {
                    y.setLong(i, v != 0 ? 1 : 0);
                } else {
                    y.setDouble(i, Double.isNaN(v) ? 0 : v);
                }
            } else if (to.isFloat()) {
                setFromInteger(y, i, x.getLong(i), from == DType.UINT64, mode);
            } else {
                y.setLong(i, x.getLong(i));
            }
        }
    }

    private static void fromString(String raw, Tensor y, long i, Mode mode) {
        String s = raw.trim();
        DType to = y.dtype();
        if (to.isFloat()) {
            setFloat(y, i, parseFloat(s), mode);
        } else if (to == DType.BOOL) {
            y.setLong(i, parseFloat(s) != 0 ? 1 : 0);
        } else {
            y.setLong(i, parseInteger(s, to));
        }
    }

    /** Integers of up to 53 bits are exact as doubles; wider ones are rounded with care. */
    private static void setFromInteger(Tensor y, long i, long v, boolean unsigned, Mode mode) {
        boolean exact = unsigned ? (v >= 0 && v < (1L << 53)) : (v > -(1L << 53) && v < (1L << 53));
        if (exact) {
            setFloat(y, i, v, mode);
            return;
        }
        BigDecimal value = new BigDecimal(unsigned ? new BigInteger(Long.toUnsignedString(v)) : BigInteger.valueOf(v));
        switch (y.dtype()) {
            case DOUBLE -> y.data().setAtIndex(Layouts.F64, i, value.doubleValue());
            case FLOAT -> y.data().setAtIndex(Layouts.F32, i, value.floatValue());
            default -> setFloat(y, i, roundToOdd(value), mode);
        }
    }

    /** Writes the exact value {@code v} (or a round-to-odd stand-in) to a floating tensor, rounding once. */
    static void setFloat(Tensor y, long i, double v, Mode mode) {
        switch (y.dtype()) {
            case FLOAT -> y.data().setAtIndex(Layouts.F32, i, (float) v);
            case DOUBLE -> y.data().setAtIndex(Layouts.F64, i, v);
            case FLOAT16 -> y.data().setAtIndex(Layouts.I16, i, Float.floatToFloat16(roundToOddFloat(v)));
            case BFLOAT16 -> y.data().setAtIndex(Layouts.I16, i, Tensor.floatToBfloat16(roundToOddFloat(v)));
            case FLOAT8E4M3FN -> y.data().set(Layouts.I8, i, (byte) MiniFloat.E4M3FN.encode(v, mode.saturate()));
            case FLOAT8E4M3FNUZ -> y.data().set(Layouts.I8, i, (byte) MiniFloat.E4M3FNUZ.encode(v, mode.saturate()));
            case FLOAT8E5M2 -> y.data().set(Layouts.I8, i, (byte) MiniFloat.E5M2.encode(v, mode.saturate()));
            case FLOAT8E5M2FNUZ -> y.data().set(Layouts.I8, i, (byte) MiniFloat.E5M2FNUZ.encode(v, mode.saturate()));
            case FLOAT8E8M0 -> y.data().set(Layouts.I8, i, (byte) e8m0(v, mode));
            // float4e2m1 has no infinity or NaN code: it always saturates.
            case FLOAT4E2M1 -> y.setDouble(i, v);
            default -> throw new IllegalStateException(y.dtype() + " is not a floating type");
        }
    }

    /**
     * {@code v} rounded to float so that a later round-to-nearest-even to a narrower type is
     * exact: when {@code v} is not a float, the result is the float next to it (toward zero)
     * with its lowest mantissa bit set.
     */
    static float roundToOddFloat(double v) {
        float f = (float) v;
        if (Double.isNaN(v) || Float.isInfinite(f) || (double) f == v) {
            return f;
        }
        if (Math.abs((double) f) > Math.abs(v)) {
            f = Math.nextAfter(f, 0.0);
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(f) | 1);
    }

    /** The double nearest {@code v} toward zero with its lowest mantissa bit set, unless {@code v} is a double. */
    static double roundToOdd(BigDecimal v) {
        double d = v.doubleValue();
        if (Double.isInfinite(d) || new BigDecimal(d).compareTo(v) == 0) {
            return d;
        }
        if (new BigDecimal(d).abs().compareTo(v.abs()) > 0) {
            d = Math.nextAfter(d, 0.0);
        }
        return Double.longBitsToDouble(Double.doubleToRawLongBits(d) | 1);
    }

    /**
     * Encodes as float8e8m0 (2^(code - 127), code 255 is NaN). Out of range values saturate to
     * codes 0 and 254, or become NaN without saturation, as do zero and infinity.
     */
    static int e8m0(double v, Mode mode) {
        if (Double.isNaN(v)) {
            return 0xFF;
        }
        double a = Math.abs(v);
        if (a == 0 || Double.isInfinite(a)) {
            return mode.saturate() ? (a == 0 ? 0 : 0xFE) : 0xFF;
        }
        int e = Math.getExponent(a);
        if (e < Double.MIN_EXPONENT) {
            e = Double.MIN_EXPONENT - 1;
        }
        double mantissa = a / Math.scalb(1.0, e);
        boolean power = mantissa == 1.0;
        int rounded = switch (mode.rounding()) {
            case UP -> power ? e : e + 1;
            case DOWN -> e;
            case NEAREST -> mantissa >= 1.5 ? e + 1 : e;
        };
        int code = rounded + 127;
        if (code < 0 || code > 0xFE) {
            return mode.saturate() ? (code < 0 ? 0 : 0xFE) : 0xFF;
        }
        return code;
    }

    private static double parseFloat(String s) {
        String u = s.toUpperCase(Locale.ROOT);
        return switch (u) {
            case "INF", "+INF", "INFINITY", "+INFINITY" -> Double.POSITIVE_INFINITY;
            case "-INF", "-INFINITY" -> Double.NEGATIVE_INFINITY;
            case "NAN", "+NAN", "-NAN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("cannot cast the string '" + s + "' to a number");
                }
            }
        };
    }

    private static long parseInteger(String s, DType to) {
        try {
            return to == DType.UINT64 ? Long.parseUnsignedLong(s) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return (long) parseFloat(s);
        }
    }

    private static String format(Tensor x, long i) {
        DType t = x.dtype();
        if (t == DType.BOOL) {
            return x.getLong(i) != 0 ? "True" : "False";
        }
        if (t.isFloat()) {
            return formatFloat(x.getDouble(i), t);
        }
        return t == DType.UINT64 ? Long.toUnsignedString(x.getLong(i)) : Long.toString(x.getLong(i));
    }

    /**
     * A floating value as text: the fewest significant digits that read back as the same value
     * of its own type, in plain notation from 1e-4 up to 1e16 ("314.15926", "1.0") and in
     * scientific notation outside ("1e-05", "1.5e+20"), the way NumPy prints a scalar; NaN, INF and
     * -INF for the special values.
     */
    static String formatFloat(double v, DType type) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "INF" : "-INF";
        }
        BigDecimal digits = shortest(v, type);
        double a = Math.abs(v);
        if (v == 0 || (a >= 1e-4 && a < 1e16)) {
            String plain = digits.stripTrailingZeros().toPlainString();
            String sign = v == 0 && 1 / v < 0 ? "-" : "";
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        BigDecimal d = digits.stripTrailingZeros();
        int exponent = d.precision() - d.scale() - 1;
        String mantissa = d.unscaledValue().abs().toString();
        String m = mantissa.length() == 1 ? mantissa : mantissa.charAt(0) + "." + mantissa.substring(1);
        return (d.signum() < 0 ? "-" : "") + m + "e" + (exponent < 0 ? "-" : "+")
                + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
    }

    /** The shortest decimal that converts back to {@code v} in {@code type}. */
    private static BigDecimal shortest(double v, DType type) {
        if (type == DType.DOUBLE) {
            return new BigDecimal(Double.toString(v));
        }
        if (type == DType.FLOAT) {
            return new BigDecimal(Float.toString((float) v));
        }
        Tensor probe = Tensor.allocate(type, dev.kiln.tensor.Shape.of(1));
        for (int precision = 1; precision < 17; precision++) {
            BigDecimal d = new BigDecimal(v).round(new java.math.MathContext(precision));
            probe.setDouble(0, d.doubleValue());
            if (probe.getDouble(0) == v) {
                return d;
            }
        }
        return new BigDecimal(v);
    }
}

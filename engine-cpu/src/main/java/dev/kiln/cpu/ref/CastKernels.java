package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.MiniFloat;
import dev.kiln.tensor.Tensor;

/** Cast and CastLike between every pair of element types, with the float8 saturation rules. */
final class CastKernels {
    private CastKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(CastKernels::cast, "Cast");
        r.onnx(CastKernels::castLike, "CastLike");
    }

    private static Kernel cast(BindContext b) {
        DType to = DType.fromCode((int) b.node().attrInt("to", 0));
        if (to == null || to == DType.UNDEFINED) {
            throw new IllegalArgumentException("Cast needs a valid 'to' attribute");
        }
        boolean saturate = b.node().attrInt("saturate", 1) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            convert(x, k.allocate(0, to, x.shape()), saturate);
        };
    }

    private static Kernel castLike(BindContext b) {
        boolean saturate = b.node().attrInt("saturate", 1) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            convert(x, k.allocate(0, k.tensor(1).dtype(), x.shape()), saturate);
        };
    }

    /** Converts every element of {@code x} into {@code y} (same element count). */
    static void convert(Tensor x, Tensor y, boolean saturate) {
        DType from = x.dtype();
        DType to = y.dtype();
        long n = x.size();
        if (from == to) {
            x.copyInto(y);
            return;
        }
        MiniFloat mini = miniFloat(to);
        for (long i = 0; i < n; i++) {
            if (from == DType.STRING) {
                String s = x.getString(i).trim();
                if (to.isFloat()) {
                    y.setDouble(i, parseFloat(s));
                } else if (to == DType.BOOL) {
                    y.setLong(i, parseFloat(s) != 0 ? 1 : 0);
                } else {
                    y.setLong(i, parseInteger(s, to));
                }
            } else if (to == DType.STRING) {
                y.setString(i, format(x, i));
            } else if (from.isFloat()) {
                double v = x.getDouble(i);
                if (mini != null) {
                    setMini(y, i, mini.encode(v, saturate));
                } else if (to.isFloat()) {
                    y.setDouble(i, v);
                } else if (to == DType.BOOL) {
                    y.setLong(i, v != 0 ? 1 : 0);
                } else {
                    y.setDouble(i, Double.isNaN(v) ? 0 : v);
                }
            } else {
                long v = x.getLong(i);
                if (to.isFloat()) {
                    double d = from == DType.UINT64 ? x.getDouble(i) : v;
                    if (mini != null) {
                        setMini(y, i, mini.encode(d, saturate));
                    } else {
                        y.setDouble(i, d);
                    }
                } else {
                    y.setLong(i, v);
                }
            }
        }
    }

    private static MiniFloat miniFloat(DType t) {
        return switch (t) {
            case FLOAT8E4M3FN -> MiniFloat.E4M3FN;
            case FLOAT8E4M3FNUZ -> MiniFloat.E4M3FNUZ;
            case FLOAT8E5M2 -> MiniFloat.E5M2;
            case FLOAT8E5M2FNUZ -> MiniFloat.E5M2FNUZ;
            default -> null;
        };
    }

    private static void setMini(Tensor y, long i, int code) {
        y.data().set(dev.kiln.tensor.Layouts.I8, i, (byte) code);
    }

    private static double parseFloat(String s) {
        String u = s.toUpperCase(java.util.Locale.ROOT);
        return switch (u) {
            case "INF", "+INF", "INFINITY", "+INFINITY" -> Double.POSITIVE_INFINITY;
            case "-INF", "-INFINITY" -> Double.NEGATIVE_INFINITY;
            case "NAN", "+NAN", "-NAN" -> Double.NaN;
            default -> Double.parseDouble(s);
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
            double v = x.getDouble(i);
            if (Double.isNaN(v)) {
                return "NaN";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "INF" : "-INF";
            }
            return t == DType.DOUBLE ? Double.toString(v) : Float.toString((float) v);
        }
        return t == DType.UINT64 ? Long.toUnsignedString(x.getLong(i)) : Long.toString(x.getLong(i));
    }
}

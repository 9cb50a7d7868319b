package dev.kiln.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's arguments in the order of its parameters, as cuLaunchKernel takes them: device
 * pointers, 32- and 64-bit integers, floats, and structs passed by value ({@link ParamStruct}).
 */
public final class LaunchArgs {
    /** The kind of one argument. */
    public enum Kind { PTR, I32, I64, F32, BYTES }

    private final List<Kind> kinds = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();

    /** A device pointer (0 for a null pointer). */
    public LaunchArgs ptr(long address) {
        return add(Kind.PTR, address);
    }

    /** A C {@code int}. */
    public LaunchArgs i32(int v) {
        return add(Kind.I32, v);
    }

    /** A C {@code long long}. */
    public LaunchArgs i64(long v) {
        return add(Kind.I64, v);
    }

    /** A C {@code float}. */
    public LaunchArgs f32(float v) {
        return add(Kind.F32, v);
    }

    /** A struct passed by value, as {@link ParamStruct#bytes()} made it. */
    public LaunchArgs struct(byte[] bytes) {
        return add(Kind.BYTES, bytes.clone());
    }

    private LaunchArgs add(Kind k, Object v) {
        kinds.add(k);
        values.add(v);
        return this;
    }

    /** Number of arguments. */
    public int size() {
        return kinds.size();
    }

    /** The kind of argument {@code i}. */
    public Kind kind(int i) {
        return kinds.get(i);
    }

    /** The value of argument {@code i}: a Long, Integer, Float, or byte[] for a struct. */
    public Object value(int i) {
        return values.get(i);
    }
}

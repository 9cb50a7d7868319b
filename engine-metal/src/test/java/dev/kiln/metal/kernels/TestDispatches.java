package dev.kiln.metal.kernels;

/** Dispatches for tests of the queue: a word copy between two device addresses. */
public final class TestDispatches {
    private TestDispatches() {
    }

    /** Copies {@code words} 4-byte words from {@code from} to {@code to}. */
    public static Dispatch copy(long from, long to, int words) {
        return Dispatch.perElement("kiln_copy_u32", words, 64).buffer(0, from).buffer(1, to)
                .bytes(2, new ParamStruct().i32(words).bytes());
    }
}

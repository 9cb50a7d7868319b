package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.TestGraphs.graph;
import static dev.kiln.cpu.ref.TestGraphs.node;
import static dev.kiln.cpu.ref.TestGraphs.untyped;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cast rounds once from the exact source value, and honours saturate and round_mode. */
class CastTest {

    private static Tensor cast(Tensor x, DType to, Attribute... more) {
        List<Attribute> attrs = new ArrayList<>(List.of(more));
        attrs.add(new Attribute.IntAttr("to", to.code()));
        Graph g = graph(25).addInput(untyped("x"))
                .addNode(node("Cast", List.of("x"), List.of("y"), attrs.toArray(new Attribute[0])))
                .addOutput(untyped("y")).build();
        return (Tensor) TestGraphs.run(g, Map.of("x", x)).get("y");
    }

    private static int bits16(Tensor t) {
        return t.data().getAtIndex(Layouts.I16, 0) & 0xFFFF;
    }

    private static int bits8(Tensor t, long i) {
        return t.data().get(Layouts.I8, i) & 0xFF;
    }

    @Test
    void doubleToFloat16RoundsOnce() {
        // Just above the midpoint of 1 and 1 + 2^-10: through float it would land on the midpoint and round down.
        Tensor x = Tensor.ofDoubles(new long[] {1}, 1 + Math.scalb(1.0, -11) + Math.scalb(1.0, -40));
        assertEquals(0x3C01, bits16(cast(x, DType.FLOAT16)));
    }

    @Test
    void wideIntegersToBfloat16RoundOnce() {
        // 2^60 + 2^52 + 1 is above the midpoint of 2^60 and 2^60 + 2^53; via double it would tie to 2^60.
        Tensor x = Tensor.ofLongs(new long[] {1}, (1L << 60) + (1L << 52) + 1);
        assertEquals(0x5D81, bits16(cast(x, DType.BFLOAT16)));
    }

    @Test
    void largeUnsignedIntegersConvertByValue() {
        Tensor x = Tensor.allocate(DType.UINT64, Shape.of(1));
        x.setLong(0, -1L);
        Tensor y = cast(x, DType.DOUBLE);
        assertEquals(18446744073709551615.0, y.getDouble(0));
        assertEquals(1.8446744e19f, cast(x, DType.FLOAT).getFloat(0));
    }

    @Test
    void float8e8m0FollowsRoundModeAndSaturate() {
        Tensor x = Tensor.ofFloats(new long[] {5}, 3f, 2.9f, 2f, 0f, Float.POSITIVE_INFINITY);
        // code = exponent + 127
        Tensor up = cast(x, DType.FLOAT8E8M0);
        assertEquals(List.of(129, 129, 128, 0, 254), codes(up));
        Tensor down = cast(x, DType.FLOAT8E8M0, new Attribute.StringAttr("round_mode", "down"));
        assertEquals(List.of(128, 128, 128, 0, 254), codes(down));
        Tensor nearest = cast(x, DType.FLOAT8E8M0, new Attribute.StringAttr("round_mode", "nearest"),
                new Attribute.IntAttr("saturate", 0));
        assertEquals(List.of(129, 128, 128, 255, 255), codes(nearest));
    }

    private static List<Integer> codes(Tensor t) {
        List<Integer> r = new ArrayList<>();
        for (long i = 0; i < t.size(); i++) {
            r.add(bits8(t, i));
        }
        return r;
    }

    @Test
    void float8WithoutSaturationOverflowsToInfinityOrNaN() {
        Tensor x = Tensor.ofFloats(new long[] {2}, 1e6f, -1e6f);
        Tensor e5m2 = cast(x, DType.FLOAT8E5M2, new Attribute.IntAttr("saturate", 0));
        assertEquals(List.of(0x7C, 0xFC), codes(e5m2));
        Tensor e4m3 = cast(x, DType.FLOAT8E4M3FN, new Attribute.IntAttr("saturate", 0));
        assertEquals(List.of(0x7F, 0xFF), codes(e4m3));
        Tensor saturated = cast(x, DType.FLOAT8E4M3FN);
        assertEquals(List.of(0x7E, 0xFE), codes(saturated));
    }

    @Test
    void stringsParseSpecialValuesCaseInsensitively() {
        Tensor x = Tensor.ofStrings(Shape.of(4), "inf", "-INF", "nan", " 1e-5 ");
        Tensor y = cast(x, DType.FLOAT);
        assertEquals(Float.POSITIVE_INFINITY, y.getFloat(0));
        assertEquals(Float.NEGATIVE_INFINITY, y.getFloat(1));
        assertEquals(true, Float.isNaN(y.getFloat(2)));
        assertEquals(1e-5f, y.getFloat(3));
    }

    @Test
    void numbersFormatInPlainShortestForm() {
        Tensor f = Tensor.ofFloats(new long[] {6}, 314.15927f, 1e-5f, 1e7f, 1.5e20f, -0.0f, 1f);
        Tensor s = cast(f, DType.STRING);
        assertEquals(List.of("314.15927", "1e-05", "10000000.0", "1.5e+20", "-0.0", "1.0"),
                List.of(s.toStringArray()));
        Tensor half = cast(Tensor.ofFloats(new long[] {1}, 0.1f), DType.FLOAT16);
        assertEquals("0.1", cast(half, DType.STRING).getString(0));
        Tensor d = Tensor.ofDoubles(new long[] {1}, 0.1);
        assertEquals("0.1", cast(d, DType.STRING).getString(0));
        assertEquals("True", cast(Tensor.ofBooleans(new long[] {1}, true), DType.STRING).getString(0));
        assertEquals("-42", cast(Tensor.ofLongs(new long[] {1}, -42), DType.STRING).getString(0));
    }

    @Test
    void opset1NamesItsTarget() {
        Graph g = graph(1).addInput(untyped("x"))
                .addNode(node("Cast", List.of("x"), List.of("y"), new Attribute.StringAttr("to", "DOUBLE")))
                .addOutput(untyped("y")).build();
        Tensor y = (Tensor) TestGraphs.run(g, Map.of("x", Tensor.ofInts(new long[] {2}, 3, -4))).get("y");
        assertEquals(DType.DOUBLE, y.dtype());
        assertEquals(-4.0, y.getDouble(1));
    }
}

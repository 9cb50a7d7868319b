package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import org.junit.jupiter.api.Test;

class ShapesTest {
    @Test
    void broadcastsConcreteShapes() {
        assertEquals(Shape.of(2, 3, 4), Shapes.broadcast(Shape.of(3, 1), Shape.of(2, 1, 4)));
        assertEquals(Shape.of(0, 3), Shapes.broadcast(Shape.of(0, 1), Shape.of(3)));
        assertThrows(IllegalArgumentException.class, () -> Shapes.broadcast(Shape.of(2), Shape.of(3)));
    }

    @Test
    void broadcastsSymbolicShapes() {
        SymbolicShape a = SymbolicShape.of(Dim.symbol("batch"), Dim.of(1), Dim.of(4));
        SymbolicShape b = SymbolicShape.of(Dim.of(7), Dim.of(1));
        assertEquals(SymbolicShape.of(Dim.symbol("batch"), Dim.of(7), Dim.of(4)), Shapes.broadcast(a, b));
        assertEquals(SymbolicShape.of(Dim.of(5)), Shapes.broadcast(SymbolicShape.of(Dim.UNKNOWN), SymbolicShape.known(5)));
    }

    @Test
    void reshapeResolvesZeroAndMinusOne() {
        assertArrayEquals(new long[] {2, 12}, Shapes.reshape(new long[] {2, 3, 4}, new long[] {0, -1}, false));
        assertArrayEquals(new long[] {0, 5}, Shapes.reshape(new long[] {0, 5}, new long[] {0, 5}, true));
        assertThrows(IllegalArgumentException.class, () -> Shapes.reshape(new long[] {2, 3}, new long[] {4, -1}, false));
        assertThrows(IllegalArgumentException.class, () -> Shapes.reshape(new long[] {6}, new long[] {-1, -1}, false));
    }

    @Test
    void windowOutputsWithCeilMode() {
        assertEquals(112, Shapes.windowOutput(224, 7, 2, 1, 3, 3, false));
        assertEquals(3, Shapes.windowOutput(5, 2, 2, 1, 0, 0, true));
        assertEquals(2, Shapes.windowOutput(5, 2, 2, 1, 0, 0, false));
        assertArrayEquals(new long[] {0, 1}, Shapes.autoPad("SAME_UPPER", 5, 2, 1, 1));
        assertArrayEquals(new long[] {1, 0}, Shapes.autoPad("SAME_LOWER", 5, 2, 1, 1));
    }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Convolution and pooling corner cases against ONNX Runtime: auto_pad both ways, dilations,
 * groups, output_padding, ceil_mode, count_include_pad, LpPool orders and MaxPool indices in
 * both storage orders.
 */
class ConvPoolOracleTest {
    private final Random rnd = new Random(11);

    @ParameterizedTest(name = "auto_pad {0}, group {1}, dilation {2}, stride {3}")
    @CsvSource({"SAME_UPPER,1,1,2", "SAME_LOWER,2,1,1", "VALID,1,2,3", "NOTSET,2,1,2"})
    void conv(String autoPad, long group, long dilation, long stride) {
        SingleNode o = SingleNode.node("Conv", 11).attr("group", group).attrs("dilations", dilation, 1L)
                .attrs("strides", stride, stride).attr("auto_pad", autoPad);
        if (autoPad.equals("NOTSET")) {
            o.attrs("pads", 1L, 2L, 0L, 1L);
        }
        assertNull(o.input(SingleNode.random(rnd, 2, 4, 9, 8)).input(SingleNode.random(rnd, 6, 4 / group, 3, 2))
                .input(SingleNode.random(rnd, 6)).outputs(1).compareWithOrt(1e-4, 1e-5));
    }

    @ParameterizedTest(name = "auto_pad {0}, group {1}, dilation {2}, stride {3}, output_padding {4}")
    @CsvSource({"NOTSET,1,1,2,1", "SAME_UPPER,2,1,2,0", "SAME_LOWER,1,1,3,0", "NOTSET,2,2,2,1"})
    void convTranspose(String autoPad, long group, long dilation, long stride, long outPad) {
        SingleNode o = SingleNode.node("ConvTranspose", 11).attr("group", group).attrs("dilations", dilation, 1L)
                .attrs("strides", stride, stride).attr("auto_pad", autoPad).attrs("output_padding", outPad, 0L);
        if (autoPad.equals("NOTSET")) {
            o.attrs("pads", 1L, 0L, 0L, 1L);
        }
        assertNull(o.input(SingleNode.random(rnd, 2, 4, 5, 4)).input(SingleNode.random(rnd, 4, 6 / group, 3, 3))
                .input(SingleNode.random(rnd, 6)).outputs(1).compareWithOrt(1e-4, 1e-5));
    }

    @ParameterizedTest(name = "{0} ceil {1}, include pad {2}, dilation {3}")
    @CsvSource({"AveragePool,1,1,1", "AveragePool,1,0,2", "AveragePool,0,1,1", "MaxPool,1,0,2", "MaxPool,0,0,1",
            "LpPool,1,0,1", "LpPool,0,0,2"})
    void pool(String op, long ceil, long includePad, long dilation) {
        SingleNode o = SingleNode.node(op, 19).attrs("kernel_shape", 3L, 2L).attrs("strides", 2L, 2L)
                .attrs("pads", 1L, 0L, 1L, 1L).attrs("dilations", dilation, 1L);
        if (!op.equals("LpPool")) {
            o.attr("ceil_mode", ceil);
        }
        if (op.equals("AveragePool")) {
            o.attr("count_include_pad", includePad);
        }
        if (op.equals("LpPool")) {
            o.attr("p", 3L);
        }
        assertNull(o.input(SingleNode.random(rnd, 2, 3, 10, 9)).outputs(1).compareWithOrt(1e-4, 1e-5));
    }

    @ParameterizedTest(name = "storage_order {0}, ceil {1}")
    @CsvSource({"0,0", "1,0", "0,1", "1,1"})
    void maxPoolIndices(long storageOrder, long ceil) {
        Tensor x = SingleNode.random(rnd, 2, 3, 7, 6);
        assertNull(SingleNode.node("MaxPool", 12).attrs("kernel_shape", 2L, 3L).attrs("strides", 2L, 2L)
                .attrs("pads", 0L, 1L, 1L, 0L).attr("storage_order", storageOrder).attr("ceil_mode", ceil)
                .input(x).outputs(2).compareWithOrt(0, 0));
    }
}

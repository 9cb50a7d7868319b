package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Detection and convolution-family operators against ONNX Runtime on cases the backend tests
 * leave out: RoiAlign modes and adaptive sampling, MaxRoiPool, NonMaxSuppression options,
 * DeformConv with groups, Col2Im with padding and dilation, MaxUnpool with pads.
 */
class VisionOracleTest {
    private final Random rnd = new Random(42);

    private Tensor rois(int n, int width) {
        float[] v = new float[n * 4];
        for (int i = 0; i < n; i++) {
            float x0 = rnd.nextFloat() * width * 0.6f;
            float y0 = rnd.nextFloat() * width * 0.6f;
            v[i * 4] = x0;
            v[i * 4 + 1] = y0;
            v[i * 4 + 2] = x0 + 0.5f + rnd.nextFloat() * width * 0.5f;
            v[i * 4 + 3] = y0 + 0.5f + rnd.nextFloat() * width * 0.5f;
        }
        return Tensor.ofFloats(new long[] {n, 4}, v);
    }

    @ParameterizedTest(name = "{0} {1} ratio={2} scale={3}")
    @CsvSource({"avg,half_pixel,0,1.0", "avg,half_pixel,2,0.5", "avg,output_half_pixel,0,0.25",
            "max,half_pixel,0,1.0", "max,output_half_pixel,3,0.5"})
    void roiAlign(String mode, String transform, long ratio, float scale) {
        Tensor x = SingleNode.random(rnd, 2, 3, 9, 11);
        Tensor r = rois(5, (int) (10 / scale));
        Tensor idx = Tensor.ofLongs(new long[] {5}, 0, 1, 1, 0, 1);
        assertNull(SingleNode.node("RoiAlign", 16).attr("mode", mode).attr("coordinate_transformation_mode", transform)
                .attr("sampling_ratio", ratio).attr("spatial_scale", scale).attr("output_height", 3L)
                .attr("output_width", 4L).input(x).input(r).input(idx).outputs(1).compareWithOrt(1e-4, 1e-5));
    }

    @Test
    void maxRoiPool() {
        Tensor x = SingleNode.random(rnd, 2, 3, 9, 11);
        float[] v = {0, 1.2f, 0.4f, 7.6f, 6.1f, 1, 0, 0, 10, 8, 1, 3.5f, 2.5f, 4.5f, 3.2f, 0, 5, 5, 5, 5};
        Tensor r = Tensor.ofFloats(new long[] {4, 5}, v);
        assertNull(SingleNode.node("MaxRoiPool", 1).attrs("pooled_shape", 3L, 2L).attr("spatial_scale", 1.0f)
                .input(x).input(r).outputs(1).compareWithOrt(0, 0));
    }

    @ParameterizedTest(name = "center={0} limit={1} iou={2} score={3}")
    @CsvSource({"0,3,0.5,0.0", "1,10,0.3,0.2", "0,2,0.0,-1.0", "1,4,0.7,0.5"})
    void nonMaxSuppression(long center, long limit, float iou, float score) {
        int n = 12;
        float[] b = new float[2 * n * 4];
        for (int i = 0; i < b.length; i += 4) {
            float p = rnd.nextFloat() * 4;
            float q = rnd.nextFloat() * 4;
            b[i] = p;
            b[i + 1] = q;
            b[i + 2] = center == 1 ? 0.5f + rnd.nextFloat() * 2 : p + (rnd.nextFloat() - 0.3f) * 3;
            b[i + 3] = center == 1 ? 0.5f + rnd.nextFloat() * 2 : q + (rnd.nextFloat() - 0.3f) * 3;
        }
        Tensor boxes = Tensor.ofFloats(new long[] {2, n, 4}, b);
        Tensor scores = SingleNode.random(rnd, 2, 3, n);
        SingleNode o = SingleNode.node("NonMaxSuppression", 11).attr("center_point_box", center).input(boxes)
                .input(scores).input(Tensor.ofLongs(new long[] {1}, limit)).input(Tensor.ofFloats(new long[] {1}, iou));
        if (score >= 0) {
            o.input(Tensor.ofFloats(new long[] {1}, score));
        }
        assertNull(o.outputs(1).compareWithOrt(0, 0));
    }

    @ParameterizedTest(name = "group={0} offset_group={1} mask={2}")
    @CsvSource({"1,1,false", "2,1,true", "1,2,true", "2,2,false"})
    void deformConv(long group, long offsetGroups, boolean mask) {
        Tensor x = SingleNode.random(rnd, 2, 4, 7, 6);
        Tensor w = SingleNode.random(rnd, 6, 4 / group, 3, 2);
        long oh = (7 + 2 - 2 * 2 - 1) / 2 + 1;
        long ow = (6 + 1 - 2) + 1;
        Tensor offset = SingleNode.random(rnd, 2, offsetGroups * 6 * 2, oh, ow);
        for (long i = 0; i < offset.size(); i++) {
            offset.setFloat(i, offset.getFloat(i) * 2.5f);
        }
        SingleNode o = SingleNode.node("DeformConv", 22).attr("group", group).attr("offset_group", offsetGroups)
                .attrs("pads", 1L, 0L, 1L, 1L).attrs("strides", 2L, 1L).attrs("dilations", 2L, 1L)
                .input(x).input(w).input(offset).input(SingleNode.random(rnd, 6));
        if (mask) {
            o.input(SingleNode.random(rnd, 2, offsetGroups * 6, oh, ow));
        }
        assertNull(o.outputs(1).compareWithOrt(1e-4, 1e-5));
    }

    @Test
    void col2im() {
        // image 7x8, block 2x3, strides 2x1, dilations 1x2, pads (1,0,0,2)
        long gh = (7 + 1 - 2) / 2 + 1;
        long gw = (8 + 2 - 5) + 1;
        Tensor x = SingleNode.random(rnd, 2, 3 * 6, gh * gw);
        assertNull(SingleNode.node("Col2Im", 18).attrs("strides", 2L, 1L).attrs("dilations", 1L, 2L)
                .attrs("pads", 1L, 0L, 0L, 2L).input(x).input(Tensor.ofLongs(new long[] {2}, 7, 8))
                .input(Tensor.ofLongs(new long[] {2}, 2, 3)).outputs(1).compareWithOrt(1e-5, 1e-6));
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.ops.Activation;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * HardSwish spelled {@code x * Clip(x + 3, 0, 6) / 6} on a Conv's output (MobileNetV3 and
 * PaddleOCR exports, whose opsets predate the HardSwish operator) → the Conv with a HardSwish
 * epilogue. The worked example of {@code docs/optimizer.md}.
 */
public final class FuseConvHardSwish implements RewriteRule {
    @Override
    public String name() {
        return "fuse-conv-hardswish";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Clip");
    }

    @Override
    public Patch match(Node clip, OptGraph g) {
        // x + 3, with the constant on either side
        Node add = Match.soleProducer(g, clip.input(0), "Add");
        String x = add == null ? null : Match.isScalar(g, add.input(1), 3) ? add.input(0)
                : Match.isScalar(g, add.input(0), 3) ? add.input(1) : null;
        // Clip to [0, 6]: attributes before opset 11, inputs since
        boolean zeroToSix = g.opset("") < 11 ? clip.attrFloat("min", 1) == 0 && clip.attrFloat("max", 0) == 6
                : Match.isScalar(g, clip.input(1), 0) && Match.isScalar(g, clip.input(2), 6);
        if (x == null || !zeroToSix || !Match.isFloat(g, x)) {
            return null;
        }
        // x * clip, then / 6
        String clipped = clip.outputs().get(0);
        Node mul = Match.soleConsumer(g, clipped, "Mul");
        Node div = mul != null && x.equals(Match.other(mul, clipped)) ? Match.soleConsumer(g, mul.outputs().get(0), "Div") : null;
        // x comes from a Conv that nothing but this pattern reads
        Node conv = Match.producer(g, x, "Conv");
        if (div == null || !Match.isScalar(g, div.input(1), 6) || conv == null || g.consumers(x).size() != 2
                || g.isGraphOutput(x)) {
            return null;
        }
        List<Attribute> attrs = new ArrayList<>(conv.attributes().values());
        attrs.addAll(Activation.of(Activation.Kind.HARD_SWISH).attributes());
        Node fused = Match.kiln(conv.name(), "FusedConv", conv.inputs(), div.outputs(), attrs);
        return Patch.builder().remove(conv, add, clip, mul, div).add(fused).build();
    }
}

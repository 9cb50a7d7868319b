package dev.kiln.compile;

import dev.kiln.KilnException;
import dev.kiln.ShapeInferenceException;
import dev.kiln.graph.Node;
import dev.kiln.ops.InferenceContext;
import dev.kiln.ops.OpRegistry;
import dev.kiln.ops.OpSchema;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.List;
import java.util.Map;

/**
 * Walks nodes in execution order and records each value's type, using the operator schemas,
 * the types the model declares, and compile-time constants. When every input of a node is a
 * small constant, the node is evaluated (through {@link ConstantEvaluator}) so that shape
 * computations such as {@code Shape → Gather → Concat → Reshape} resolve.
 */
final class TypeInference {
    /** Evaluates a node on constant inputs; returns {@code null} when it cannot. */
    @FunctionalInterface
    interface ConstantEvaluator {
        Tensor[] evaluate(Node node, int opset, Tensor[] inputs);
    }

    private TypeInference() {
    }

    static void run(List<Node> order, Map<String, ValueType> types, Map<String, Tensor> constants,
                    Map<String, ValueType> declared, Map<String, Integer> opsets, OpRegistry registry,
                    ConstantEvaluator evaluator) {
        for (Node n : order) {
            int opset = opsets.getOrDefault(n.domain(), 0);
            OpSchema schema = registry.get(n.domain(), n.opType());
            if (schema != null && schema.inference() != null) {
                try {
                    schema.inference().infer(new Ctx(n, opset, types, constants));
                } catch (KilnException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new ShapeInferenceException("type inference failed: " + e.getMessage(), e)
                            .atNode(n.describe());
                }
            }
            for (String o : n.outputs()) {
                if (!o.isEmpty() && !types.containsKey(o) && declared.get(o) != null) {
                    types.put(o, declared.get(o));
                }
            }
            if (evaluator != null && !constants.containsKey(n.outputs().isEmpty() ? "" : n.outputs().get(0))) {
                fold(n, opset, constants, types, evaluator);
            }
        }
    }

    private static void fold(Node n, int opset, Map<String, Tensor> constants, Map<String, ValueType> types,
                             ConstantEvaluator evaluator) {
        if (!isFoldable(n)) {
            return;
        }
        Tensor[] in = new Tensor[n.inputs().size()];
        for (int i = 0; i < in.length; i++) {
            String name = n.input(i);
            if (name.isEmpty()) {
                continue;
            }
            in[i] = constants.get(name);
            if (in[i] == null) {
                return;
            }
        }
        Tensor[] out = evaluator.evaluate(n, opset, in);
        if (out == null) {
            return;
        }
        for (int i = 0; i < out.length && i < n.outputs().size(); i++) {
            String name = n.outputs().get(i);
            if (!name.isEmpty() && out[i] != null) {
                constants.put(name, out[i]);
                types.put(name, out[i].type());
            }
        }
    }

    private static final java.util.Set<String> IMPURE = java.util.Set.of(
            "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
            "Bernoulli", "Dropout", "If", "Loop", "Scan");

    /** True for nodes whose outputs depend on their inputs alone, so they may run at compile time. */
    static boolean isFoldable(Node n) {
        return (n.domain().isEmpty() || n.domain().equals("kiln")) && !IMPURE.contains(n.opType()) && !n.opType().startsWith("Sequence")
                && !n.opType().startsWith("Optional") && !n.outputs().isEmpty();
    }

    private record Ctx(Node node, int opset, Map<String, ValueType> types, Map<String, Tensor> constants)
            implements InferenceContext {
        @Override
        public int inputCount() {
            return node.inputs().size();
        }

        @Override
        public ValueType inputType(int i) {
            String name = node.input(i);
            return name.isEmpty() ? null : types.get(name);
        }

        @Override
        public Tensor constant(int i) {
            String name = node.input(i);
            return name.isEmpty() ? null : constants.get(name);
        }

        @Override
        public void output(int i, ValueType type) {
            if (i < node.outputs().size() && !node.outputs().get(i).isEmpty() && type != null) {
                types.put(node.outputs().get(i), type);
            }
        }

        @Override
        public void outputConstant(int i, Tensor value) {
            if (i < node.outputs().size() && !node.outputs().get(i).isEmpty()) {
                types.put(node.outputs().get(i), value.type());
                constants.put(node.outputs().get(i), value);
            }
        }
    }
}

package dev.kiln.graph;

import java.util.List;
import java.util.Map;

/**
 * A model-local function (ONNX {@code FunctionProto}): a named body of nodes that a node of
 * type {@code domain.name} expands to.
 *
 * @param domain the function's domain
 * @param name the function's name (the op type of calling nodes)
 * @param inputs formal input names
 * @param outputs formal output names
 * @param attributeNames attributes the caller may set
 * @param attributeDefaults default values of attributes, by name
 * @param nodes the body
 * @param opsets the body's opset imports
 */
public record Function(String domain, String name, List<String> inputs, List<String> outputs,
                       List<String> attributeNames, Map<String, Attribute> attributeDefaults,
                       List<Node> nodes, Map<String, Integer> opsets) {
    public Function {
        domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributeNames = List.copyOf(attributeNames);
        attributeDefaults = Map.copyOf(attributeDefaults);
        nodes = List.copyOf(nodes);
        opsets = Map.copyOf(opsets);
    }

    /** The key functions are looked up by: {@code domain:name}. */
    public static String key(String domain, String name) {
        return (domain == null || domain.equals("ai.onnx") ? "" : domain) + ":" + name;
    }
}

package dev.kiln.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application: domain, op type, inputs and outputs by value name (an empty name
 * is an absent optional input or an unused optional output), and typed attributes. Immutable.
 */
public final class Node {
    /** The default ONNX domain, spelled as the empty string. */
    public static final String ONNX_DOMAIN = "";

    private final String name;
    private final String opType;
    private final String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, Attribute> attributes;

    /** A node; {@code domain} "ai.onnx" is normalized to the empty string. */
    public Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                List<Attribute> attributes) {
        this.name = name == null ? "" : name;
        this.opType = opType;
        this.domain = domain == null || domain.equals("ai.onnx") ? ONNX_DOMAIN : domain;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        Map<String, Attribute> m = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            m.put(a.name(), a);
        }
        this.attributes = Collections.unmodifiableMap(m);
    }

    /** The node's name (may be empty). */
    public String name() {
        return name;
    }

    /** The operator type, e.g. {@code Conv}. */
    public String opType() {
        return opType;
    }

    /** The operator domain; the default ONNX domain is the empty string. */
    public String domain() {
        return domain;
    }

    /** Input value names; an empty name is an absent optional input. */
    public List<String> inputs() {
        return inputs;
    }

    /** Output value names; an empty name is an unused optional output. */
    public List<String> outputs() {
        return outputs;
    }

    /** Input {@code i}'s name, or the empty string when absent or beyond the list. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    /** True when input {@code i} is given. */
    public boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    /** The attributes by name, in file order. */
    public Map<String, Attribute> attributes() {
        return attributes;
    }

    /** The attribute with this name, or {@code null}. */
    public Attribute attribute(String attrName) {
        return attributes.get(attrName);
    }

    // ------------------------------------------------------------ attribute helpers

    /** An int attribute, or {@code def} when absent. */
    public long attrInt(String attrName, long def) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return def;
        }
        if (a instanceof Attribute.IntAttr i) {
            return i.value();
        }
        throw wrongKind(attrName, "int", a);
    }

    /** A float attribute, or {@code def} when absent. */
    public float attrFloat(String attrName, float def) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return def;
        }
        if (a instanceof Attribute.FloatAttr f) {
            return f.value();
        }
        if (a instanceof Attribute.IntAttr i) {
            return i.value();
        }
        throw wrongKind(attrName, "float", a);
    }

    /** A string attribute, or {@code def} when absent. */
    public String attrString(String attrName, String def) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return def;
        }
        if (a instanceof Attribute.StringAttr s) {
            return s.value();
        }
        throw wrongKind(attrName, "string", a);
    }

    /** An ints attribute, or {@code null} when absent. */
    public long[] attrInts(String attrName) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return null;
        }
        if (a instanceof Attribute.IntsAttr i) {
            return i.values();
        }
        throw wrongKind(attrName, "ints", a);
    }

    /** A floats attribute, or {@code null} when absent. */
    public float[] attrFloats(String attrName) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return null;
        }
        if (a instanceof Attribute.FloatsAttr f) {
            return f.values();
        }
        throw wrongKind(attrName, "floats", a);
    }

    /** A strings attribute, or {@code null} when absent. */
    public List<String> attrStrings(String attrName) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return null;
        }
        if (a instanceof Attribute.StringsAttr s) {
            return s.values();
        }
        throw wrongKind(attrName, "strings", a);
    }

    /** A tensor attribute, or {@code null} when absent. */
    public dev.kiln.tensor.Tensor attrTensor(String attrName) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return null;
        }
        if (a instanceof Attribute.TensorAttr t) {
            return t.value();
        }
        throw wrongKind(attrName, "tensor", a);
    }

    /** A graph attribute, or {@code null} when absent. */
    public Graph attrGraph(String attrName) {
        Attribute a = attributes.get(attrName);
        if (a == null) {
            return null;
        }
        if (a instanceof Attribute.GraphAttr g) {
            return g.value();
        }
        throw wrongKind(attrName, "graph", a);
    }

    private dev.kiln.ModelFormatException wrongKind(String attrName, String expected, Attribute a) {
        var e = new dev.kiln.ModelFormatException("attribute '" + attrName + "' must be " + expected + ", found "
                + a.getClass().getSimpleName().replace("Attr", "").toLowerCase(java.util.Locale.ROOT));
        e.atNode(describe());
        return e;
    }

    /** The node as errors name it: {@code 'name' (Domain.OpType)}. */
    public String describe() {
        String op = domain.isEmpty() ? opType : domain + "." + opType;
        return (name.isEmpty() ? "<unnamed>" : "'" + name + "'") + " (" + op + ")";
    }

    /** A copy with other inputs and outputs. */
    public Node withIo(List<String> newInputs, List<String> newOutputs) {
        return new Node(name, opType, domain, newInputs, newOutputs, List.copyOf(attributes.values()));
    }

    /** A copy with other attributes. */
    public Node withAttributes(List<Attribute> newAttributes) {
        return new Node(name, opType, domain, inputs, outputs, newAttributes);
    }

    @Override
    public String toString() {
        return describe() + " " + inputs + " -> " + outputs;
    }
}

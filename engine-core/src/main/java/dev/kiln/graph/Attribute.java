package dev.kiln.graph;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.List;

/** A typed node attribute, one record per ONNX {@code AttributeProto} kind. */
public sealed interface Attribute {
    /** The attribute's name. */
    String name();

    /** A float attribute. */
    record FloatAttr(String name, float value) implements Attribute { }

    /** An int attribute. */
    record IntAttr(String name, long value) implements Attribute { }

    /** A string attribute (decoded as UTF-8). */
    record StringAttr(String name, String value) implements Attribute { }

    /** A tensor attribute. */
    record TensorAttr(String name, Tensor value) implements Attribute { }

    /** A graph attribute (the body of If, Loop, Scan...). */
    record GraphAttr(String name, Graph value) implements Attribute { }

    /** A type attribute. */
    record TypeAttr(String name, ValueType value) implements Attribute { }

    /** A list of floats. */
    record FloatsAttr(String name, float[] values) implements Attribute {
        public FloatsAttr {
            values = values.clone();
        }

        @Override
        public float[] values() {
            return values.clone();
        }
    }

    /** A list of ints. */
    record IntsAttr(String name, long[] values) implements Attribute {
        public IntsAttr {
            values = values.clone();
        }

        @Override
        public long[] values() {
            return values.clone();
        }
    }

    /** A list of strings. */
    record StringsAttr(String name, List<String> values) implements Attribute {
        public StringsAttr {
            values = List.copyOf(values);
        }
    }

    /** A list of tensors. */
    record TensorsAttr(String name, List<Tensor> values) implements Attribute {
        public TensorsAttr {
            values = List.copyOf(values);
        }
    }

    /** A list of graphs. */
    record GraphsAttr(String name, List<Graph> values) implements Attribute {
        public GraphsAttr {
            values = List.copyOf(values);
        }
    }

    /** A list of types. */
    record TypesAttr(String name, List<ValueType> values) implements Attribute {
        public TypesAttr {
            values = List.copyOf(values);
        }
    }

    /**
     * Inside a function body: the value of the calling node's attribute {@code refName}.
     *
     * @param name the attribute name on this node
     * @param refName the attribute of the calling node that supplies the value
     */
    record RefAttr(String name, String refName) implements Attribute { }
}

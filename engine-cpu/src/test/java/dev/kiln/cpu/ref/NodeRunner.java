package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Options;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Parallel;
import dev.kiln.backend.Subgraph;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.ops.InferenceContext;
import dev.kiln.ops.OpRegistry;
import dev.kiln.ops.OpSchema;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one node through its reference kernel, for kernel tests. Every run also checks the
 * operator's type inference against the outputs the kernel produced, once with the inputs as
 * constants and once with their types alone.
 */
final class NodeRunner {
    private final String opType;
    private final List<Attribute> attributes = new ArrayList<>();
    private int opset = OpRegistry.MAX_ONNX_OPSET;

    private NodeRunner(String opType) {
        this.opType = opType;
    }

    /** A runner for a default-domain operator at the newest opset. */
    static NodeRunner op(String opType) {
        return new NodeRunner(opType);
    }

    NodeRunner opset(int v) {
        opset = v;
        return this;
    }

    NodeRunner attr(String name, long v) {
        attributes.add(new Attribute.IntAttr(name, v));
        return this;
    }

    NodeRunner attr(String name, float v) {
        attributes.add(new Attribute.FloatAttr(name, v));
        return this;
    }

    NodeRunner attr(String name, String v) {
        attributes.add(new Attribute.StringAttr(name, v));
        return this;
    }

    NodeRunner ints(String name, long... v) {
        attributes.add(new Attribute.IntsAttr(name, v));
        return this;
    }

    /** Runs with {@code outputs} outputs; a null input is an absent optional input. */
    Tensor[] run(int outputs, Tensor... inputs) {
        List<String> in = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            in.add(inputs[i] == null ? "" : "in" + i);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            out.add("out" + i);
        }
        Node node = new Node("n", opType, "", in, out, attributes);
        Kernel kernel = KernelRegistry.reference().get("", opType).create(new Bind(node, opset, inputs));
        Context ctx = new Context(node, inputs);
        kernel.run(ctx);
        for (int i = 0; i < outputs; i++) {
            assertTrue(ctx.outputs[i] != null, opType + " wrote no output " + i);
        }
        checkInference(node, inputs, ctx.outputs, true);
        checkInference(node, inputs, ctx.outputs, false);
        return ctx.outputs;
    }

    /** Runs with one output. */
    Tensor run1(Tensor... inputs) {
        return run(1, inputs)[0];
    }

    private void checkInference(Node node, Tensor[] inputs, Tensor[] outputs, boolean constants) {
        OpSchema schema = OpRegistry.standard().get("", opType);
        if (schema == null || schema.inference() == null) {
            return;
        }
        ValueType[] inferred = new ValueType[outputs.length];
        schema.inference().infer(new InferenceContext() {
            @Override
            public Node node() {
                return node;
            }

            @Override
            public int opset() {
                return opset;
            }

            @Override
            public int inputCount() {
                return inputs.length;
            }

            @Override
            public ValueType inputType(int i) {
                return i < inputs.length && inputs[i] != null ? inputs[i].type() : null;
            }

            @Override
            public Tensor constant(int i) {
                return constants && i < inputs.length ? inputs[i] : null;
            }

            @Override
            public void output(int i, ValueType type) {
                if (i < inferred.length) {
                    inferred[i] = type;
                }
            }

            @Override
            public void outputConstant(int i, Tensor value) {
                output(i, value.type());
            }
        });
        for (int i = 0; i < outputs.length; i++) {
            if (!(inferred[i] instanceof ValueType.TensorType t)) {
                continue;
            }
            String where = opType + " output " + i + (constants ? " (constant inputs)" : " (typed inputs)");
            assertEquals(outputs[i].dtype(), t.dtype(), where + " type");
            SymbolicShape s = t.shape();
            if (s != null) {
                assertEquals(outputs[i].rank(), s.rank(), where + " rank: inferred " + s + ", got " + outputs[i].shape());
                for (int d = 0; d < s.rank(); d++) {
                    if (s.dim(d).isKnown()) {
                        assertEquals(outputs[i].shape().dim(d), s.dim(d).value(),
                                where + " shape: inferred " + s + ", got " + outputs[i].shape());
                    }
                }
            }
        }
    }

    private record Bind(Node node, int opset, Tensor[] inputs) implements BindContext {
        @Override
        public int inputCount() {
            return inputs.length;
        }

        @Override
        public ValueType inputType(int i) {
            return i < inputs.length && inputs[i] != null ? inputs[i].type() : null;
        }

        @Override
        public Tensor constantInput(int i) {
            return null;
        }

        @Override
        public ValueType outputType(int i) {
            return null;
        }

        @Override
        public Subgraph compile(Graph body) {
            throw new UnsupportedOperationException("no subgraphs in kernel tests");
        }

        @Override
        public Options options() {
            return Options.defaults();
        }
    }

    private static final class Context implements KernelContext {
        private final Node node;
        private final Tensor[] inputs;
        private final Tensor[] outputs;

        Context(Node node, Tensor[] inputs) {
            this.node = node;
            this.inputs = inputs;
            this.outputs = new Tensor[node.outputs().size()];
        }

        @Override
        public Node node() {
            return node;
        }

        @Override
        public int inputCount() {
            return inputs.length;
        }

        @Override
        public boolean hasInput(int i) {
            return i < inputs.length && inputs[i] != null;
        }

        @Override
        public Value input(int i) {
            return hasInput(i) ? inputs[i] : null;
        }

        @Override
        public Tensor tensor(int i) {
            return hasInput(i) ? inputs[i] : null;
        }

        @Override
        public int outputCount() {
            return outputs.length;
        }

        @Override
        public boolean hasOutput(int i) {
            return i < outputs.length;
        }

        @Override
        public Tensor allocate(int i, DType dtype, Shape shape) {
            // Garbage instead of zeros, so a kernel that skips an element is caught.
            Tensor t = Tensor.allocate(dtype, shape);
            if (dtype != DType.STRING) {
                t.data().fill((byte) 0x5A);
            }
            outputs[i] = t;
            return t;
        }

        @Override
        public void set(int i, Value value) {
            outputs[i] = (Tensor) value;
        }

        @Override
        public Tensor retain(Tensor t) {
            return t.copy();
        }

        @Override
        public void checkMemory(long bytes, String what) {
            // Single nodes on small test data: no session, no budget to check against.
        }

        @Override
        public MemorySegment scratch(long bytes) {
            return Arena.ofAuto().allocate(Math.max(1, bytes), 64);
        }

        @Override
        public Parallel parallel() {
            return Parallel.SERIAL;
        }

        @Override
        public List<Value> run(Subgraph subgraph, List<Value> in) {
            throw new UnsupportedOperationException("no subgraphs in kernel tests");
        }
    }
}

package dev.kiln.ops;

/** Computes the output types of one node from what is known about its inputs. */
@FunctionalInterface
public interface ShapeInference {
    /** Sets what can be known of each output; leaving an output unset means "unknown". */
    void infer(InferenceContext ctx);
}

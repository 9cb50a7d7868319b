package dev.kiln.text;

/** How the token vectors of a text become one vector. */
public enum Pooling {
    /** The mean of the token vectors the attention mask keeps (sentence-transformers' default). */
    MEAN,
    /** The vector of the first token ({@code [CLS]}). */
    CLS
}

package dev.kiln.cuda.kernels;

/**
 * The activation a GEMM or convolution applies to its result before storing it (the codes of
 * {@code KilnActivation} in kiln_cuda.cuh). Unfused operators use {@link #NONE}; the
 * optimizer's fused operators (domain {@code kiln}) map their {@code activation} attribute here.
 *
 * @param code the activation code
 * @param alpha its first parameter (LeakyRelu and HardSigmoid alpha, Clip minimum)
 * @param beta its second parameter (HardSigmoid beta, Clip maximum)
 */
record Epilogue(int code, float alpha, float beta) {
    static final Epilogue NONE = new Epilogue(0, 0, 0);
    static final int RELU = 1;
    static final int LEAKY_RELU = 2;
    static final int CLIP = 3;
    static final int SIGMOID = 4;
    static final int HARD_SIGMOID = 5;
    static final int HARD_SWISH = 6;
    static final int SILU = 7;
    static final int GELU = 8;
    static final int GELU_TANH = 9;
    static final int TANH = 10;
}

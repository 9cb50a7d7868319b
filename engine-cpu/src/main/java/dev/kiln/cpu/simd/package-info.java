/**
 * The fast CPU backend ({@code cpu}): Vector API kernels for the operators that dominate
 * inference time, bound ahead of the reference backend and refusing (returning null) whatever
 * they do not cover, so the compiler falls back to {@code cpu-ref} node by node.
 *
 * <h2>Map</h2>
 * <ul>
 *   <li>{@link dev.kiln.cpu.simd.SimdBackend}: the backend; checks for the incubator module by name
 *       and only then loads {@code SimdKernels} (the registry), so Kiln runs without the module.
 *   <li>Matrix products: {@code Sgemm} (blocking, packing, threading), {@code MicroKernel} (the
 *       register tiles, shaped by {@code FloatVector.SPECIES_PREFERRED}: 6 x 16 on AVX2, 6 x 32 on
 *       AVX-512), {@code LeftOperand} / {@code RightOperand} (packed panels; constants packed once
 *       at bind time), {@code MatrixOperands}, {@code Im2col} and {@code PaddedIm2col} (convolution
 *       panels), and the {@link dev.kiln.cpu.simd.Epilogue}
 *       (bias, residual, {@link dev.kiln.cpu.simd.Activation}) applied to each tile while it is in L1.
 *   <li>One class per operator family: {@code MatMulKernels}, {@link dev.kiln.cpu.simd.ConvKernels}
 *       ({@code DepthwiseConv}, {@code PaddedPlane}, {@code WinogradConv}), {@code PoolKernels},
 *       {@code ResizeKernels}, {@code BinaryKernels},
 *       {@code UnaryKernels}, {@code ReduceKernels}, {@code SoftmaxKernels},
 *       {@code NormalizationKernels}, {@code TransposeKernels}; {@code VectorMath} holds exp,
 *       sigmoid, tanh and erf.
 * </ul>
 *
 * <h2>Rules the code follows (each learned from a measurement)</h2>
 * <ul>
 *   <li>No vector crosses a method boundary that C2 might not inline: a boxed vector costs about
 *       a hundred times the arithmetic. Micro-kernels are written out by hand; the transcendental
 *       functions are whole loops over memory, each self-contained.
 *   <li>Each vector loop sits in a small method of its own: one method holding a loop per
 *       operation (a switch) exceeded C2's inlining budget, so its vector operations stayed calls
 *       and ran the Java fallback (BinaryKernels: half of PaddleOCR det's time). Find such cases
 *       in a JFR profile: frames of {@code FloatVector.add}, {@code VectorSupport.binaryOp} or
 *       {@code FloatVector.ldLongOp} under a kernel.
 *   <li>No {@code reduceLanes(ADD)}: its summation order is the implementation's, and the
 *       interpreter's differs from C2's, so a result changed once a kernel was compiled. Lanes are
 *       summed first to last ({@code VectorMath.sumLanes}).
 *   <li>A vector variable is never null, not even on a path that does not read it: C2 merges
 *       a null and a vector into one value and reads the null's payload, which crashed the JVM
 *       with SIGSEGV (a conditional broadcast operand in {@code BinaryKernels}).
 *   <li>Main loops are unmasked and tails are scalar: a loop whose masked load sees both full and
 *       partial masks makes C2 deoptimize again and again.
 *   <li>Packed panels live in {@code float[]}: the micro-kernel reads arrays at the machine's FMA
 *       peak, while the same loop over memory segments ran about 25% slower. Tensors themselves
 *       stay in segments; outputs are written through them.
 * </ul>
 *
 * <h2>Adding a kernel</h2>
 * A family class with {@code static void register(KernelRegistry)} listed in {@code SimdKernels};
 * the factory checks the bind-time types ({@code Float32.inputs}) and returns null for what it
 * does not cover; cases found only at run time go to {@code Reference.kernel(ctx)}. Each family
 * has a test in {@code src/test} that runs it against the reference kernel on random shapes
 * (1, primes, tails shorter than a vector) through {@code OneNode}.
 */
package dev.kiln.cpu.simd;

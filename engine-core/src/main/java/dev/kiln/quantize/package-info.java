/**
 * Quantization of float models into int8 ONNX models: graph to graph, in standard operators, so
 * the written model runs on Kiln and on other ONNX runtimes alike ({@link dev.kiln.quantize.DynamicQuantizer}).
 */
package dev.kiln.quantize;

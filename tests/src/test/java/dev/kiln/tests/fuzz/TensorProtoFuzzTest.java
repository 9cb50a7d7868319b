package dev.kiln.tests.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.MapValue;
import dev.kiln.tensor.OptionalValue;
import dev.kiln.tensor.SequenceValue;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the value files of the test-data layout ({@code OnnxValues.parse}): the first byte
 * picks the message kind (TensorProto, SequenceProto, OptionalProto, MapProto), the rest is the
 * message. Every element of what was read is then touched, so a tensor whose memory does not
 * match its shape shows. Seeds: {@code TensorProtoFuzzTestInputs/readValue}.
 */
class TensorProtoFuzzTest {
    private static final FuzzSupport FUZZ = new FuzzSupport("tensor-proto");
    private static final ValueType[] KINDS = {
        null,
        new ValueType.SequenceType(ValueType.tensor(DType.FLOAT)),
        new ValueType.OptionalType(ValueType.tensor(DType.FLOAT)),
        new ValueType.MapType(DType.INT64, ValueType.tensor(DType.FLOAT)),
    };

    @AfterAll
    static void report() {
        FUZZ.report();
    }

    @FuzzTest(maxDuration = "20s")
    void readValue(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        ValueType kind = KINDS[(bytes[0] & 0xFF) % KINDS.length];
        byte[] message = Arrays.copyOfRange(bytes, 1, bytes.length);
        FUZZ.check(() -> touch(OnnxValues.parse(message, kind).value()));
    }

    private static double touch(Value v) {
        return switch (v) {
            case Tensor t -> {
                double sum = 0;
                for (long i = 0; i < t.size(); i++) {
                    sum += t.dtype() == DType.STRING ? t.getString(i).length()
                            : t.dtype().kind() == DType.Kind.COMPLEX ? 0 : t.getDouble(i);
                }
                yield sum + t.byteSize();
            }
            case SequenceValue s -> s.elements().stream().mapToDouble(TensorProtoFuzzTest::touch).sum();
            case OptionalValue o -> o.value() == null ? 0 : touch(o.value());
            case MapValue m -> touch(m.keys()) + touch(m.values());
        };
    }
}

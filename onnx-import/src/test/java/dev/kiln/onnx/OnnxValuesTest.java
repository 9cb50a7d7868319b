package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.KilnException;
import dev.kiln.ModelFormatException;
import dev.kiln.onnx.proto.Onnx;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.ValueType;
import org.junit.jupiter.api.Test;

/** Value files that parse as protobuf but do not make a value are format errors, never crashes. */
class OnnxValuesTest {
    private static final ValueType MAP = new ValueType.MapType(DType.INT64, ValueType.tensor(DType.FLOAT));

    /** Found by the tensor-proto fuzz target: 27 keys and no values escaped as IllegalArgumentException. */
    @Test
    void mapsWithMoreKeysThanValuesAreRefused() {
        Onnx.MapProto.Builder m = Onnx.MapProto.newBuilder().setKeyType(DType.INT64.code())
                .setValues(Onnx.SequenceProto.newBuilder().setElemType(1)
                        .addTensorValues(Onnx.TensorProto.newBuilder().setDataType(1).addDims(0)));
        for (int i = 0; i < 27; i++) {
            m.addKeys(i);
        }
        KilnException e = assertThrows(ModelFormatException.class, () -> OnnxValues.parse(m.build().toByteArray(), MAP));
        assertTrue(e.getMessage().contains("equal length"), e.getMessage());
    }

    @Test
    void mapValuesMustBeOneNumberPerKey() {
        Onnx.MapProto m = Onnx.MapProto.newBuilder().setKeyType(DType.INT64.code()).addKeys(1).addKeys(2)
                .setValues(Onnx.SequenceProto.newBuilder().setElemType(1)
                        .addTensorValues(Onnx.TensorProto.newBuilder().setDataType(1).addDims(0))
                        .addTensorValues(Onnx.TensorProto.newBuilder().setDataType(1).addDims(1).addFloatData(1)))
                .build();
        KilnException e = assertThrows(ModelFormatException.class, () -> OnnxValues.parse(m.toByteArray(), MAP));
        assertTrue(e.getMessage().contains("map values"), e.getMessage());
    }

    @Test
    void truncatedAndGarbageFilesAreFormatErrors() {
        byte[] good = Onnx.TensorProto.newBuilder().setName("t").setDataType(1).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[8])).build().toByteArray();
        for (int cut = 1; cut < good.length; cut++) {
            byte[] part = java.util.Arrays.copyOf(good, cut);
            try {
                OnnxValues.parse(part, null);
            } catch (KilnException expected) {
                // Refused with a Kiln error, or (a prefix that is itself a valid message) read.
            }
        }
        assertThrows(ModelFormatException.class, () -> OnnxValues.parse(new byte[] {(byte) 0xff, (byte) 0xff, 0x01}, null));
    }
}

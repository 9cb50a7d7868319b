package dev.kiln.cli;

import dev.kiln.InvalidInputException;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.tensor.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the {@code input_K.pb} files of an ONNX test-data folder for a model's inputs. */
public final class CaseInputs {
    private CaseInputs() {
    }

    /** Reads DIR/input_K.pb, matching each file to a graph input by name, else by position. */
    public static Map<String, Value> read(List<ValueInfo> graphInputs, Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int k = 0; ; k++) {
            Path f = dir.resolve("input_" + k + ".pb");
            if (!Files.exists(f)) {
                break;
            }
            files.add(f);
        }
        if (files.size() > graphInputs.size()) {
            throw new InvalidInputException(dir + " holds " + files.size() + " inputs but the model takes "
                    + graphInputs.size());
        }
        Map<String, ValueInfo> byName = new HashMap<>();
        for (ValueInfo v : graphInputs) {
            byName.put(v.name(), v);
        }
        Map<String, Value> inputs = new LinkedHashMap<>();
        for (int k = 0; k < files.size(); k++) {
            ValueInfo positional = graphInputs.get(k);
            OnnxValues.Named named = OnnxValues.read(files.get(k), positional.type());
            ValueInfo target = byName.getOrDefault(named.name(), positional);
            if (target != positional) {
                named = OnnxValues.read(files.get(k), target.type());
            }
            inputs.put(target.name(), named.value());
        }
        return inputs;
    }
}

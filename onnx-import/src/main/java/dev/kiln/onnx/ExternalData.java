package dev.kiln.onnx;

import dev.kiln.ModelFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves and maps the external data files of one model. A location must be a relative path
 * that stays inside the model's folder after resolving {@code ..} and symbolic links; offsets
 * and lengths must lie within the file. Each file is mapped once, read-only.
 */
final class ExternalData {
    private final Path baseDir;
    private final Path realBase;
    private final Arena arena;
    private final Map<Path, MemorySegment> mapped = new HashMap<>();

    ExternalData(Path modelFile, Arena arena) {
        Path parent = modelFile.toAbsolutePath().getParent();
        this.baseDir = parent;
        Path real;
        try {
            real = parent.toRealPath();
        } catch (IOException e) {
            real = parent.normalize();
        }
        this.realBase = real;
        this.arena = arena;
    }

    /** The bytes {@code [offset, offset+length)} of {@code location}; length -1 means to the end. */
    MemorySegment slice(String tensorName, String location, long offset, long length) {
        Path file = resolve(tensorName, location);
        MemorySegment whole = mapped.computeIfAbsent(file, this::map);
        long size = whole.byteSize();
        if (offset < 0 || offset > size) {
            throw new ModelFormatException("external data offset " + offset + " is outside '" + location + "' ("
                    + size + " bytes)").forTensor(tensorName);
        }
        long len = length < 0 ? size - offset : length;
        if (len > size - offset) {
            throw new ModelFormatException("external data [" + offset + ", " + (offset + len) + ") runs past the end of '"
                    + location + "' (" + size + " bytes)").forTensor(tensorName);
        }
        return whole.asSlice(offset, len);
    }

    private Path resolve(String tensorName, String location) {
        if (location == null || location.isEmpty()) {
            throw new ModelFormatException("external data without a location").forTensor(tensorName);
        }
        // ONNX locations are POSIX paths; a backslash is read as the separator a Windows tool
        // meant, so that "..\\x" cannot mean one thing here and an escape on Windows.
        String posix = location.replace('\\', '/');
        if (posix.startsWith("/") || posix.contains(":")) {
            throw new ModelFormatException("external data location '" + location
                    + "' is absolute; it must be relative to the model's folder").forTensor(tensorName);
        }
        Path rel;
        try {
            rel = Path.of(posix);
        } catch (InvalidPathException e) {
            throw new ModelFormatException("external data location '" + location.replace("\0", "\\0")
                    + "' is not a valid path: " + e.getReason()).forTensor(tensorName);
        }
        if (rel.isAbsolute()) {
            throw new ModelFormatException("external data location '" + location
                    + "' is absolute; it must be relative to the model's folder").forTensor(tensorName);
        }
        Path candidate = baseDir.resolve(rel).normalize();
        if (!candidate.startsWith(baseDir.normalize())) {
            throw new ModelFormatException("external data location '" + location
                    + "' leaves the model's folder").forTensor(tensorName);
        }
        if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelFormatException("external data file '" + location + "' does not exist").forTensor(tensorName);
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (IOException e) {
            throw new ModelFormatException("external data file '" + location + "' cannot be resolved: "
                    + e.getMessage()).forTensor(tensorName);
        }
        if (!real.startsWith(realBase)) {
            throw new ModelFormatException("external data location '" + location
                    + "' is a link that leaves the model's folder").forTensor(tensorName);
        }
        if (!Files.isRegularFile(real)) {
            throw new ModelFormatException("external data location '" + location + "' is not a regular file")
                    .forTensor(tensorName);
        }
        return real;
    }

    private MemorySegment map(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new ModelFormatException("cannot map external data file " + file.getFileName() + ": " + e.getMessage());
        }
    }
}

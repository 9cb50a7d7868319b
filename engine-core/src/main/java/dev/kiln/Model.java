package dev.kiln;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import dev.kiln.compile.Compiler;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Graph;
import dev.kiln.graph.ModelData;
import dev.kiln.graph.ValueInfo;
import java.util.List;
import java.util.Map;

/**
 * A loaded model: its graph and metadata, and the memory (often a mapped file) holding its
 * weights. Sessions opened on a model keep that memory alive; it is released when the model
 * and all its sessions are closed.
 */
public final class Model implements AutoCloseable {
    private final String name;
    private final ModelData data;
    private int users = 1;

    Model(String name, ModelData data) {
        this.name = name;
        this.data = data;
    }

    /** The model's name (its file name). */
    public String name() {
        return name;
    }

    /** The main graph. */
    public Graph graph() {
        return data.graph();
    }

    /** The inputs a caller supplies (declared inputs without an initializer). */
    public List<ValueInfo> inputs() {
        return data.graph().requiredInputs();
    }

    /** The outputs. */
    public List<ValueInfo> outputs() {
        return data.graph().outputs();
    }

    /** The IR version of the file. */
    public long irVersion() {
        return data.irVersion();
    }

    /** The producer recorded in the file. */
    public String producer() {
        return data.producer();
    }

    /** Metadata properties. */
    public Map<String, String> metadata() {
        return data.metadata();
    }

    /** Opens a session with the default options. */
    public Session session() {
        return session(Options.defaults());
    }

    /**
     * Compiles the model and opens a session.
     *
     * @throws UnsupportedOperatorException listing every operator no backend can run
     */
    public Session session(Options options) {
        acquire();
        List<Backend> backends = List.of();
        try {
            backends = Backends.select(options.backends());
            Compiler compiler = new Compiler(name, options, backends);
            return new PlanSession(compiler, data.graph(), options, this::release);
        } catch (KilnException e) {
            closeAll(backends);
            release();
            throw e.inModel(name);
        } catch (StackOverflowError e) {
            release();
            throw new ResourceLimitException("the model nests too deeply to compile", e).inModel(name);
        } catch (RuntimeException | Error e) {
            closeAll(backends);
            release();
            throw e;
        }
    }

    /** The operators of this model that no backend of {@code options} can run, with their nodes. */
    public List<String> unsupportedOperators(Options options) {
        List<Backend> backends = Backends.select(options.backends());
        try {
            return new Compiler(name, options, backends).unsupportedOperators(data.graph());
        } finally {
            closeAll(backends);
        }
    }

    private static void closeAll(List<Backend> backends) {
        for (Backend b : backends) {
            b.close();
        }
    }

    private synchronized void acquire() {
        if (users == 0) {
            throw new IllegalStateException("model " + name + " is closed");
        }
        users++;
    }

    private synchronized void release() {
        if (users > 0 && --users == 0 && data.resources() != null) {
            try {
                data.resources().close();
            } catch (Exception e) {
                throw new IllegalStateException("closing model " + name + ": " + e.getMessage(), e);
            }
        }
    }

    /** Closes the model; its memory is released once every session on it is closed too. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    private boolean closed;
}

package dev.kiln.cli;

import dev.kiln.KilnException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code kiln} command. Errors print one line (the {@link KilnException} message: model, node,
 * tensor and reason) and exit non-zero; {@code --verbose} adds the stack trace.
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, version = "kiln 0.1.0",
        description = "Run ONNX models in pure Java.",
        subcommands = {EmbedCommand.class, RunCommand.class, RunBatchCommand.class, InspectCommand.class,
                BenchCommand.class, ProfileCommand.class, QuantizeCommand.class})
public final class Main implements Runnable {
    @Option(names = "--verbose", description = "Show stack traces on errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Runs the command line and returns the exit code. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose = false;
            for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
                verbose |= p.hasMatchedOption("--verbose");
            }
            PrintWriter err = cmd.getErr();
            if (ex instanceof KilnException k) {
                err.println("kiln: " + k.getMessage());
            } else {
                err.println("kiln: " + ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage())
                        + (verbose ? "" : " (run with --verbose for details)"));
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ex instanceof KilnException ? 1 : 2;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}

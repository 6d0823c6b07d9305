package org.tiaoyu.qformer.cli;

import java.io.PrintWriter;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.core.config.ModelConfig;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qformer inspect --model DIR}: the parsed config and every tensor of a model directory (single file or
 * sharded), or of one safetensors file, without loading the weights.
 */
@Command(name = "inspect", description = "Show a model's parsed config and every tensor (name, dtype, shape, bytes).")
final class InspectCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A model directory (config.json + safetensors, single or sharded) or a .safetensors file.")
    private Path model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (Files.isDirectory(model)) {
            ModelConfig config = ModelConfig.read(model);
            out.println("config: " + config.getClass().getSimpleName());
            printRecord(out, (Record) config, "  "); // every ModelConfig is a record
        }
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            long total = checkpoint.names().stream().mapToLong(name -> checkpoint.info(name).byteSize()).sum();
            int files = checkpoint.files().size();
            out.printf("tensors: %d in %d file%s, %,d bytes%n", checkpoint.names().size(), files,
                    files == 1 ? "" : "s", total);
            int width = checkpoint.names().stream().mapToInt(String::length).max().orElse(4);
            for (String name : checkpoint.names().stream().sorted().toList()) {
                TensorInfo info = checkpoint.info(name);
                out.printf("  %-" + width + "s  %-4s  %-18s  %,d%n", name, info.dtype(),
                        Arrays.toString(info.shape()), info.byteSize());
            }
        }
        out.flush();
        return ExitStatus.OK;
    }

    /** Prints a config record as indented {@code name: value} lines, nested records one level deeper. */
    private static void printRecord(PrintWriter out, Record record, String indent) {
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(record);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (value instanceof Record nested) {
                out.println(indent + component.getName() + ": " + nested.getClass().getSimpleName());
                printRecord(out, nested, indent + "  ");
            } else {
                out.println(indent + component.getName() + ": " + show(value));
            }
        }
    }

    private static String show(Object value) {
        if (value instanceof OptionalInt o) {
            return o.isPresent() ? Integer.toString(o.getAsInt()) : "null";
        }
        if (value instanceof Optional<?> o) {
            return o.map(String::valueOf).orElse("null");
        }
        if (value instanceof Collection<?> c) {
            return c.toString();
        }
        return String.valueOf(value);
    }
}

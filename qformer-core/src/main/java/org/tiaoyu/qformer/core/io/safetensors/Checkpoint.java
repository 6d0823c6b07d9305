package org.tiaoyu.qformer.core.io.safetensors;

import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsException.quote;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The weights of a model directory in the layout HuggingFace's {@code save_pretrained} writes: either one
 * {@code model.safetensors}, or shards listed by {@code model.safetensors.index.json}, whose
 * {@code "weight_map"} maps each tensor name to the shard file holding it:
 * <pre>{"metadata": {"total_size": 123}, "weight_map": {"query_tokens": "model-00001-of-00002.safetensors", ...}}</pre>
 * Every shard is opened and validated up front; a tensor is then loaded from whichever shard holds it.
 */
public final class Checkpoint implements AutoCloseable {

    /** The single-file name HuggingFace writes and looks for first. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The index name HuggingFace writes for a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final Logger log = LoggerFactory.getLogger(Checkpoint.class);

    /** The single file or the index: what messages about the checkpoint as a whole name. */
    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owners;

    private Checkpoint(Path source, List<SafetensorsFile> files, Map<String, SafetensorsFile> owners) {
        this.source = source;
        this.files = List.copyOf(files);
        this.owners = Collections.unmodifiableMap(owners);
    }

    /**
     * Opens a checkpoint.
     *
     * @param dirOrFile a model directory holding {@value #SINGLE_FILE} or {@value #INDEX_FILE} (the single file
     *     wins if both are there, as in HuggingFace), an index file itself ({@code *.index.json}), or one
     *     {@code .safetensors} file
     * @return the open checkpoint; close it to release the files
     * @throws SafetensorsException if a file is missing or invalid, or the index does not match the shards
     */
    public static Checkpoint open(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile)) {
            if (Files.exists(dirOrFile.resolve(SINGLE_FILE))) {
                return single(dirOrFile.resolve(SINGLE_FILE));
            }
            if (Files.exists(dirOrFile.resolve(INDEX_FILE))) {
                return sharded(dirOrFile.resolve(INDEX_FILE));
            }
            throw new SafetensorsException(dirOrFile, "no " + SINGLE_FILE + " or " + INDEX_FILE + " in this directory");
        }
        if (dirOrFile.getFileName() != null && dirOrFile.getFileName().toString().endsWith(".index.json")) {
            return sharded(dirOrFile);
        }
        return single(dirOrFile);
    }

    /** @return every tensor name: file by file, in data order within each */
    public Set<String> names() {
        return owners.keySet();
    }

    /** @return true if the checkpoint holds a tensor called {@code name} */
    public boolean contains(String name) {
        return owners.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return its header entry (offsets relative to its own file's data section)
     * @throws SafetensorsException if no file holds it
     */
    public TensorInfo info(String name) {
        return owner(name).info(name);
    }

    /**
     * Loads a tensor into a new array of type {@code target}, from whichever file holds it.
     *
     * @see SafetensorsFile#load(String, DataType)
     */
    public INDArray load(String name, DataType target) {
        return owner(name).load(name, target);
    }

    /**
     * Loads a tensor in its stored type, from whichever file holds it.
     *
     * @see SafetensorsFile#load(String)
     */
    public INDArray load(String name) {
        return owner(name).load(name);
    }

    /**
     * Copies a tensor into an existing array of its shape, from whichever file holds it.
     *
     * @see SafetensorsFile#loadInto(String, INDArray)
     */
    public void loadInto(String name, INDArray destination) {
        owner(name).loadInto(name, destination);
    }

    /** @return the safetensors files, in the order their tensors are listed by {@link #names()} */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + source + ", " + owners.size() + " tensors in " + files.size() + " files]";
    }

    private SafetensorsFile owner(String name) {
        SafetensorsFile file = owners.get(name);
        if (file == null) {
            throw new SafetensorsException(source, "no tensor " + quote(name) + " in this checkpoint");
        }
        return file;
    }

    private static Checkpoint single(Path file) {
        SafetensorsFile opened = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
        opened.tensors().forEach(t -> owners.put(t.name(), opened));
        return new Checkpoint(file, List.of(opened), owners);
    }

    private static Checkpoint sharded(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        // Shard name -> the first tensor that names it, for messages; sorted, so model-00001 opens first.
        Map<String, String> shards = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> shards.putIfAbsent(shard, tensor));
        Path dir = index.toAbsolutePath().getParent();
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Map.Entry<String, String> shard : shards.entrySet()) {
                files.add(SafetensorsFile.open(shardPath(index, dir, shard.getKey(), shard.getValue())));
            }
            Map<String, SafetensorsFile> owners = owners(index, files);
            for (Map.Entry<String, String> entry : weightMap.entrySet()) {
                SafetensorsFile owner = owners.get(entry.getKey());
                if (owner == null) {
                    throw new SafetensorsException(index, "weight_map puts tensor " + quote(entry.getKey())
                            + " in " + quote(entry.getValue()) + ", but that shard does not hold it");
                }
                if (!owner.path().getFileName().toString().equals(entry.getValue())) {
                    throw new SafetensorsException(index, "weight_map puts tensor " + quote(entry.getKey())
                            + " in " + quote(entry.getValue()) + ", but it is in " + owner.path().getFileName());
                }
            }
            if (owners.size() > weightMap.size()) {
                log.warn("{}: {} tensors in the shards are not listed in weight_map; loading them anyway",
                        index, owners.size() - weightMap.size());
            }
            return new Checkpoint(index, files, owners);
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** @return tensor name to its file; a name in two files is an error */
    private static Map<String, SafetensorsFile> owners(Path index, List<SafetensorsFile> files) {
        Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
        for (SafetensorsFile file : files) {
            for (TensorInfo t : file.tensors()) {
                SafetensorsFile other = owners.putIfAbsent(t.name(), file);
                if (other != null) {
                    throw new SafetensorsException(index, "tensor " + quote(t.name()) + " is in two shards, "
                            + other.path().getFileName() + " and " + file.path().getFileName());
                }
            }
        }
        return owners;
    }

    /** @return the index's {@code weight_map}, tensor name to shard file name */
    private static Map<String, String> readWeightMap(Path index) {
        if (!Files.isRegularFile(index)) {
            throw new SafetensorsException(index, Files.exists(index) ? "is not a regular file" : "no such file");
        }
        byte[] bytes;
        try {
            if (Files.size(index) > Header.MAX_BYTES) {
                throw new SafetensorsException(index, "index is over " + Header.MAX_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(index);
        } catch (IOException e) {
            throw SafetensorsException.io(index, "cannot read the index", e);
        }
        JsonNode root = Header.readJson(index, Header.decodeUtf8(index, bytes, "index"), "index");
        if (!root.isObject()) {
            throw new SafetensorsException(index, "index must be a JSON object, not " + Header.kind(root));
        }
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException(index,
                    "index needs a \"weight_map\" object of tensor name to shard file, not "
                    + (weightMap == null ? "nothing" : Header.kind(weightMap)));
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(index, "weight_map entry " + quote(entry.getKey())
                        + " must be a shard file name, not " + Header.kind(entry.getValue()));
            }
            result.put(entry.getKey(), entry.getValue().textValue());
        }
        return result;
    }

    /** @return the shard's path: a plain file name next to the index, which must exist */
    private static Path shardPath(Path index, Path dir, String shard, String tensor) {
        Path name;
        try {
            name = Path.of(shard);
        } catch (InvalidPathException e) {
            name = null;
        }
        if (name == null || shard.isEmpty() || name.isAbsolute() || name.getNameCount() != 1
                || shard.equals(".") || shard.equals("..")) {
            throw new SafetensorsException(index, "weight_map names shard " + quote(shard) + " (for tensor "
                    + quote(tensor) + "), which is not a file name in the index's directory");
        }
        Path path = dir.resolve(name);
        if (!Files.isRegularFile(path)) {
            throw new SafetensorsException(index, "weight_map names shard " + quote(shard) + " (for tensor "
                    + quote(tensor) + "), which does not exist in " + dir);
        }
        return path;
    }
}

package org.tiaoyu.qformer.core.io.safetensors;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The element types of the <a href="https://github.com/huggingface/safetensors#format">safetensors format</a>
 * that ND4J can hold, named as in the header's {@code "dtype"} field. The format's unsigned 16/32/64-bit and
 * 8-bit float types have no ND4J counterpart here and are reported as unknown.
 */
public enum DType {
    F64(8, DataType.DOUBLE),
    F32(4, DataType.FLOAT),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I16(2, DataType.INT16),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    BOOL(1, DataType.BOOL);

    private final int byteSize;
    private final DataType nd4j;

    DType(int byteSize, DataType nd4j) {
        this.byteSize = byteSize;
        this.nd4j = nd4j;
    }

    /** @return bytes per element; a {@code BOOL} is one byte, 0 or 1 */
    public int byteSize() {
        return byteSize;
    }

    /** @return the ND4J type that holds this dtype without conversion */
    public DataType nd4j() {
        return nd4j;
    }

    /** @return true for F64, F32, F16 and BF16 */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * The dtype a safetensors header names.
     *
     * @param name the header's {@code "dtype"} string, case-sensitive, e.g. {@code "BF16"}
     * @return the dtype, or {@code null} if {@code name} is not one of these (the reader turns that into a
     *     {@link SafetensorsException} naming the tensor)
     */
    public static DType parse(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        return null;
    }

    /**
     * The dtype that stores an ND4J type.
     *
     * @param type an ND4J data type; the deprecated names ({@code HALF}, {@code INT}, ...) are the same constants
     *     as their replacements ({@code FLOAT16}, {@code INT32}, ...)
     * @return its safetensors dtype
     * @throws IllegalArgumentException for ND4J types safetensors cannot hold here (UTF8, UINT16, ...)
     */
    public static DType of(DataType type) {
        for (DType dtype : values()) {
            if (dtype.nd4j == type) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("ND4J type " + type + " has no safetensors dtype");
    }
}

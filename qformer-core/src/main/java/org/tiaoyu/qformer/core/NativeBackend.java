package org.tiaoyu.qformer.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Chooses which native build of ND4J loads, before it loads. On Linux x86-64 the build with oneDNN and AVX-512 runs
 * matrix products about 1.8 times faster than the plain one (docs/performance.md), but an AVX-512 library would
 * crash on a CPU without it, and JavaCPP would pick it whenever its jar is present. So {@link #configure()} picks it
 * only when the CPU has AVX-512, and the plain build otherwise. A choice already made with
 * {@code -Dorg.bytedeco.javacpp.platform.extension=…} (empty for the plain build) is left alone.
 *
 * <p>The command line calls this first, and so do the library's entry classes ({@code Module}, {@code Tensor},
 * {@code Arena}, {@code SafetensorsFile}) when they load; research code that calls ND4J itself before touching any
 * of them should call it first.
 */
public final class NativeBackend {

    /** JavaCPP's switch between native builds: a suffix of the platform name, empty for the plain build. */
    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

    /** The suffix of the fast build. */
    public static final String FAST_EXTENSION = "-onednn-avx512";

    private static final String FAST_LIBRARY =
            "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64" + FAST_EXTENSION + "/libnd4jcpu.so";
    private static final Set<String> AVX512_FLAGS = Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl");

    private NativeBackend() {}

    /** Sets {@link #EXTENSION_PROPERTY} unless it is set; returns the extension in force. */
    public static synchronized String configure() {
        String chosen = System.getProperty(EXTENSION_PROPERTY);
        if (chosen == null) {
            boolean linuxX64 = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                    && System.getProperty("os.arch", "").matches("amd64|x86_64");
            boolean fast = linuxX64 && hasAvx512(cpuFlags(Path.of("/proc/cpuinfo")))
                    && NativeBackend.class.getClassLoader().getResource(FAST_LIBRARY) != null;
            chosen = fast ? FAST_EXTENSION : "";
            System.setProperty(EXTENSION_PROPERTY, chosen);
        }
        return chosen;
    }

    static boolean hasAvx512(Set<String> cpuFlags) {
        return cpuFlags.containsAll(AVX512_FLAGS);
    }

    /** The flags of the first processor in a /proc/cpuinfo file; empty when it cannot be read. */
    static Set<String> cpuFlags(Path cpuinfo) {
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toSet()))
                    .orElse(Set.of());
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }
}

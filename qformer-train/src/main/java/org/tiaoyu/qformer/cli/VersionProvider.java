package org.tiaoyu.qformer.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code qformer --version}: the Maven project version (from a filtered resource) and the JVM it runs on. */
final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() throws IOException {
        Properties build = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            build.load(in);
        }
        return new String[] {
            "qformer " + build.getProperty("version"),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        };
    }
}

package org.tiaoyu.qformer.core;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Picks ND4J's native build before any test touches ND4J (registered through META-INF/services). */
public final class NativeBackendSessionListener implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        NativeBackend.configure();
    }
}

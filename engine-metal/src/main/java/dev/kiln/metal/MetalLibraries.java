package dev.kiln.metal;

/**
 * Loads the Objective-C runtime and the Metal framework into this class loader, so the
 * generated bindings ({@code dev.kiln.metal.ffm}) find their symbols. On macOS 11 and later
 * these libraries live in the dyld shared cache rather than on disk; the JDK loads them by path
 * all the same.
 */
final class MetalLibraries {
    static final String OBJC = "/usr/lib/libobjc.A.dylib";
    static final String METAL = "/System/Library/Frameworks/Metal.framework/Metal";
    /** Command-line processes get their default Metal device only with CoreGraphics loaded. */
    static final String CORE_GRAPHICS = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics";

    private static String failure;
    private static boolean loaded;

    private MetalLibraries() {
    }

    /** True when {@code osName} (the {@code os.name} property) is macOS, the only system with Metal. */
    static boolean isMac(String osName) {
        String os = osName.toLowerCase(java.util.Locale.ROOT);
        return os.contains("mac") || os.contains("darwin");
    }

    /** Loads the libraries once; returns why they cannot be loaded, or {@code null}. */
    static synchronized String load() {
        if (!loaded) {
            loaded = true;
            try {
                System.load(OBJC);
                System.load(METAL);
                System.load(CORE_GRAPHICS);
            } catch (UnsatisfiedLinkError e) {
                failure = "cannot load the Metal framework: " + e.getMessage();
            }
        }
        return failure;
    }
}

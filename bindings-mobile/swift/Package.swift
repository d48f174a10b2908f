// swift-tools-version:5.9
// libxmpptls for Swift (iOS, macOS, Linux): the uniffi bindings over the
// Rust library. scripts/gen-mobile.sh assembles this package in
// target/mobile/swift-package with the generated sources:
//
//   Sources/XmppTls/XmppTls.swift, XmppTlsCore.swift   uniffi's Swift bindings
//   Sources/xmpptlsFFI/*.h, module.modulemap             their C headers
//
// Where the native library comes from:
//   - Apple platforms: XmppTlsFFI.xcframework beside this file, which
//     scripts/package-xcframework.sh builds on a Mac (a relative path, as
//     SwiftPM requires for binary targets; Xcode needs no settings). A
//     release may instead point at a zipped XCFramework by URL:
//       .binaryTarget(name: "xmpptlsFFI", url: "https://…/XmppTlsFFI.xcframework.zip",
//                     checksum: "<swift package compute-checksum …>")
//   - Linux (and a Mac without the XCFramework): the module map links
//     libxmpptls_mobile from the linker's path:
//       swift test -Xlinker -L<dir of libxmpptls_mobile.so>
import PackageDescription
import Foundation

let xcframework = "XmppTlsFFI.xcframework"
let hasXCFramework = FileManager.default.fileExists(
    atPath: URL(fileURLWithPath: Context.packageDirectory).appendingPathComponent(xcframework).path)

let ffi: Target = hasXCFramework
    ? .binaryTarget(name: "xmpptlsFFI", path: xcframework)
    : .systemLibrary(name: "xmpptlsFFI", path: "Sources/xmpptlsFFI")

let package = Package(
    name: "XmppTls",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "XmppTls", targets: ["XmppTls"]),
    ],
    targets: [
        ffi,
        .target(name: "XmppTls", dependencies: ["xmpptlsFFI"], path: "Sources/XmppTls"),
        .testTarget(name: "XmppTlsTests", dependencies: ["XmppTls"], path: "Tests/XmppTlsTests"),
    ]
)

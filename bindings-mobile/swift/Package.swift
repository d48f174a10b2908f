// swift-tools-version:5.9
// libxmpptls for Swift (iOS, macOS, Linux). scripts/gen-mobile.sh assembles
// this package in target/mobile/swift-package with the generated sources:
//
//   Sources/XmppTls/XmppTls.swift          uniffi's Swift bindings
//   Sources/xmpptlsFFI/xmpptlsFFI.h        their C header
//   Sources/xmpptlsFFI/module.modulemap    links libxmpptls_mobile
//
// On a machine with Swift (macOS or Linux):
//   scripts/gen-mobile.sh
//   cd target/mobile/swift-package
//   swift test -Xlinker -L$PWD/../lib      (Linux: LD_LIBRARY_PATH=$PWD/../lib)
//
// For an Apple app, set XMPPTLS_XCFRAMEWORK to the path of an
// XmppTlsFFI.xcframework (README: "Apple apps") and the FFI module comes
// from that binary target instead of the system library.
import PackageDescription
import Foundation

let xcframework = ProcessInfo.processInfo.environment["XMPPTLS_XCFRAMEWORK"]

let ffi: Target = xcframework.map { .binaryTarget(name: "xmpptlsFFI", path: $0) }
    ?? .systemLibrary(name: "xmpptlsFFI", path: "Sources/xmpptlsFFI")

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

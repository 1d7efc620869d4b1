import Foundation

/// Why `path` cannot be read as an input file, or nil when it can: missing, a directory, unreadable.
func inputFileProblem(_ path: String) -> String? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        return "no such file: \(path)"
    }
    if isDirectory.boolValue {
        return "\(path) is a directory: name the files in it (for example \(path)/*.jsonl)"
    }
    if !FileManager.default.isReadableFile(atPath: path) { return "cannot read \(path): permission denied" }
    return nil
}

/// A file system error as "PATH: reason" (`/tmp/x: Is a directory`), or nil for other errors.
///
/// On Linux Foundation describes these as `Error Domain=NSCocoaErrorDomain Code=256 "(null)" UserInfo=…`,
/// which names neither the file nor the reason in words.
func fileErrorText(_ error: any Error) -> String? {
    let error = error as NSError
    guard error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain else { return nil }
    let path =
        error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    let reason = posixCode(of: error).map { String(cString: strerror($0)) } ?? cocoaReason(error.code)
    return path.map { "\($0): \(reason)" } ?? reason
}

private func posixCode(of error: NSError) -> Int32? {
    if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
    guard let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError else { return nil }
    return posixCode(of: underlying)
}

/// Words for the Cocoa file error codes that come without an underlying POSIX error.
private func cocoaReason(_ code: Int) -> String {
    switch CocoaError.Code(rawValue: code) {
    case .fileNoSuchFile, .fileReadNoSuchFile: return "No such file or directory"
    case .fileReadNoPermission, .fileWriteNoPermission: return "Permission denied"
    case .fileWriteOutOfSpace: return "No space left on device"
    case .fileWriteVolumeReadOnly: return "Read-only file system"
    case .fileWriteFileExists: return "File exists"
    case .fileReadCorruptFile, .fileReadInapplicableStringEncoding: return "not readable as text"
    default: return "file operation failed"
    }
}

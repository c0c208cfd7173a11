extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws ``TranslationError`` (the standard one does not
    /// carry typed throws through).
    func withTranslationBytes<R>(_ body: (UnsafeRawBufferPointer) throws(TranslationError) -> R) throws(TranslationError) -> R {
        let result: Result<R, TranslationError> = withUnsafeBytes { buffer in
            do throws(TranslationError) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

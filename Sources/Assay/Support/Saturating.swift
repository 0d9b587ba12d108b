extension Int64 {
    /// `self × factor`, held at `Int64.max` or `Int64.min` instead of trapping: client-sent times
    /// (milliseconds made nanoseconds) can be anything.
    ///
    /// ```swift
    /// Int64(1e15).saturatingMultiplied(by: 1_000_000)  // Int64.max
    /// ```
    public func saturatingMultiplied(by factor: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: factor)
        guard overflow else { return product }
        return (self < 0) == (factor < 0) ? .max : .min
    }

    /// `self + other`, held at the ends of Int64's range instead of trapping.
    public func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

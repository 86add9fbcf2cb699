/// The shape of one multi-head scaled dot-product attention call and the row strides of its operands.
///
/// Layouts (batch first, heads interleaved in the feature axis as a `Linear` projection produces them):
/// - queries `q`: `batch, queries, ldq` floats; head `h` is columns `h·headDim ..< (h+1)·headDim` of a row;
/// - keys `k`: `batch, keys, ldk`, same head columns;
/// - values `v`: `batch, keys, ldv`, head `h` is columns `h·valueDim ..< (h+1)·valueDim`;
/// - output `o`: `batch, queries, ldo`, head `h` written to columns `h·valueDim ..< (h+1)·valueDim`;
/// - optional key padding mask: `batch, keys` bytes, non-zero = the key is padding and is ignored
///   (`torch.nn.MultiheadAttention`'s `key_padding_mask` convention).
///
/// Strides let a packed projection (`[q | k | v]` in one `3·E`-wide row) feed the kernel without copies.
public struct AttentionGeometry: Sendable, Equatable {
    public var batch: Int, heads: Int, queries: Int, keys: Int
    /// Channels per head of queries and keys.
    public var headDim: Int
    /// Channels per head of values and of the output.
    public var valueDim: Int
    public var ldq: Int, ldk: Int, ldv: Int, ldo: Int
    /// Multiplier of `q·kᵀ`; `1/√headDim` by default.
    public var scale: Float

    public init(batch: Int, heads: Int, queries: Int, keys: Int, headDim: Int, valueDim: Int? = nil,
                ldq: Int? = nil, ldk: Int? = nil, ldv: Int? = nil, ldo: Int? = nil, scale: Float? = nil) {
        let dv = valueDim ?? headDim
        precondition(batch >= 0 && heads >= 1 && queries >= 0 && keys >= 0 && headDim >= 1 && dv >= 1,
                     "attention: bad geometry batch \(batch) heads \(heads) queries \(queries) keys \(keys) headDim \(headDim)")
        self.batch = batch; self.heads = heads; self.queries = queries; self.keys = keys
        self.headDim = headDim; self.valueDim = dv
        self.ldq = ldq ?? heads * headDim; self.ldk = ldk ?? heads * headDim
        self.ldv = ldv ?? heads * dv; self.ldo = ldo ?? heads * dv
        precondition(self.ldq >= heads * headDim && self.ldk >= heads * headDim && self.ldv >= heads * dv && self.ldo >= heads * dv,
                     "attention: row strides smaller than heads × head channels")
        self.scale = scale ?? 1 / Float(headDim).squareRoot()
    }
}

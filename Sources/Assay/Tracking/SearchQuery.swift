/// A run search: which experiments, which lifecycle stages, a filter, an ordering, and a page.
public struct RunQuery: Sendable {
    /// The experiments searched.
    public var experimentIDs: [String]
    /// The conditions runs must meet.
    public var filter: SearchFilter
    /// The ordering, before the implicit newest-first and run-id tie-breakers.
    public var orderBy: [SearchOrder]
    /// Active runs, deleted ones, or both.
    public var view: LifecycleView
    /// At most this many runs per page (1...50,000).
    public var maxResults: Int
    /// Where the page starts (from ``PageToken``).
    public var offset: Int

    public init(
        experimentIDs: [String], filter: SearchFilter = SearchFilter(), orderBy: [SearchOrder] = [],
        view: LifecycleView = .activeOnly, maxResults: Int = 1000, offset: Int = 0
    ) {
        self.experimentIDs = experimentIDs
        self.filter = filter
        self.orderBy = orderBy
        self.view = view
        self.maxResults = maxResults
        self.offset = offset
    }
}

/// An experiment search.
public struct ExperimentQuery: Sendable {
    /// The conditions experiments must meet.
    public var filter: SearchFilter
    /// The ordering, before the implicit newest-first tie-breakers.
    public var orderBy: [SearchOrder]
    /// Active experiments, deleted ones, or both.
    public var view: LifecycleView
    /// At most this many experiments per page.
    public var maxResults: Int
    /// Where the page starts.
    public var offset: Int

    public init(
        filter: SearchFilter = SearchFilter(), orderBy: [SearchOrder] = [], view: LifecycleView = .activeOnly,
        maxResults: Int = 1000, offset: Int = 0
    ) {
        self.filter = filter
        self.orderBy = orderBy
        self.view = view
        self.maxResults = maxResults
        self.offset = offset
    }
}

/// One page of search results and the token of the next page (nil on the last).
public struct SearchPage<Item: Sendable>: Sendable {
    /// This page's items.
    public var items: [Item]
    /// The token of the next page; nil on the last one.
    public var nextPageToken: String?

    /// A page as a server answered it.
    public init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }

    /// A page from `limit + 1` fetched items: the extra one only says that more follow.
    public init(fetched: [Item], limit: Int, offset: Int) {
        items = Array(fetched.prefix(limit))
        nextPageToken = fetched.count > limit ? PageToken.encode(offset: offset + limit) : nil
    }
}

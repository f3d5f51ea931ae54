using Lucene.Net.Analysis.Standard;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;

namespace Agentic.Training.Retrieval;

/// <summary>A retrieved document.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Title">The document title.</param>
/// <param name="Text">The document text.</param>
/// <param name="Score">The BM25 score.</param>
public sealed record SearchHit(string Id, string Title, string Text, float Score);

/// <summary>
/// An in-memory Lucene.Net index ranked with BM25 (k1 = 1.2, b = 0.75), over documents with an id, a title and a
/// text. Free-text queries are escaped, so any string is a valid query; an empty query returns no hits.
/// </summary>
/// <remarks>Searching is thread-safe; the index is immutable after construction.</remarks>
public sealed class Bm25SearchIndex : IDisposable
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;
    private readonly RAMDirectory _directory = new();
    private readonly StandardAnalyzer _analyzer = new(Version);
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;

    /// <summary>Indexes the given documents.</summary>
    public Bm25SearchIndex(IEnumerable<(string Id, string Title, string Text)> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var config = new IndexWriterConfig(Version, _analyzer) { Similarity = new BM25Similarity() };
        using (var writer = new IndexWriter(_directory, config))
        {
            foreach (var (id, title, text) in documents)
            {
                writer.AddDocument(new Document
                {
                    new StringField("id", id, Field.Store.YES),
                    new TextField("title", title, Field.Store.YES),
                    new TextField("text", text, Field.Store.YES),
                });
            }
            writer.Commit();
        }
        _reader = DirectoryReader.Open(_directory);
        _searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity() };
        Count = _reader.NumDocs;
    }

    /// <summary>Number of indexed documents.</summary>
    public int Count { get; }

    /// <summary>The top <paramref name="k"/> documents for a free-text query, best first.</summary>
    public IReadOnlyList<SearchHit> Search(string query, int k = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (string.IsNullOrWhiteSpace(query)) return [];
        var parser = new MultiFieldQueryParser(Version, ["title", "text"], _analyzer) { DefaultOperator = Operator.OR };
        Query parsed;
        try
        {
            parsed = parser.Parse(QueryParserBase.Escape(query.Trim()));
        }
        catch (ParseException)
        {
            return [];
        }
        return _searcher.Search(parsed, k).ScoreDocs
            .Select(hit =>
            {
                var doc = _searcher.Doc(hit.Doc);
                return new SearchHit(doc.Get("id"), doc.Get("title"), doc.Get("text"), hit.Score);
            })
            .ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _reader.Dispose();
        _analyzer.Dispose();
        _directory.Dispose();
    }
}

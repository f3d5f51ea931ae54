using System.Text;
using Agentic.Core.Agents;
using Agentic.Training.Evaluation;
using Agentic.Training.Retrieval;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.SearchQa;

/// <summary>
/// The search-QA environment: answers each <c>&lt;search&gt;</c> with the top documents from the world's BM25 index
/// as a <c>&lt;documents&gt;</c> observation, and ends the episode at the first <c>&lt;answer&gt;</c>. The outcome
/// figures are AutoRefine's: <c>answer_em</c>, <c>answer_f1</c>, <c>gold_in_refine</c> (the gold answer appeared in a
/// <c>&lt;refine&gt;</c> block), <c>format_ok</c> and <c>searches</c>; <c>success</c> is exact match. A
/// <c>search</c> tool is also offered for agents that use tool calls. The <c>&lt;search&gt;</c> tag runs the tag tool
/// <c>search</c> (<see cref="ITagToolEnvironment"/>), so tool noise reaches it: a failure shows the agent a JSON error
/// it can retry, an incomplete or redundant result a truncated or repeated <c>&lt;documents&gt;</c> block.
/// </summary>
public sealed class SearchQaEnvironment : AgentEnvironment, ITagToolEnvironment, IDisposable
{
    private readonly int _topK;
    private readonly IReadOnlyList<AIFunction> _tools;
    private Bm25SearchIndex? _index;
    private ulong _indexedWorld;
    private SearchQaTask? _task;
    private readonly StringBuilder _transcript = new();
    private int _searches;

    /// <summary>Creates the environment; each search returns <paramref name="topK"/> documents.</summary>
    public SearchQaEnvironment(int topK = 3)
    {
        _topK = topK;
        _tools = [AIFunctionFactory.Create((string query) => Documents(query), "search", "Searches the corpus; returns the top documents.")];
        TagTools = [new SearchTagTool(this)];
    }

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => _tools;

    /// <inheritdoc />
    public IList<AIFunction> TagTools { get; }

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _task = task as SearchQaTask ?? throw new ArgumentException($"The searchqa environment needs a {nameof(SearchQaTask)}.", nameof(task));
        if (_index is null || _indexedWorld != _task.WorldSeed)
        {
            _index?.Dispose();
            _index = new Bm25SearchIndex(SearchQaWorld.Generate(_task.WorldSeed).Documents);
            _indexedWorld = _task.WorldSeed;
        }
        _transcript.Clear();
        _searches = 0;
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(
        [
            new ChatMessage(ChatRole.System, "Answer the question using the search engine. Search with <search> query </search>; the results arrive in <documents>. After each search, write the useful evidence in <refine> ... </refine>. Give the final answer in <answer> ... </answer>."),
            new ChatMessage(ChatRole.User, task.Instruction),
        ]);
    }

    /// <inheritdoc />
    public override async ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        var text = action.Message.Text ?? "";
        _transcript.Append(text).Append('\n');
        if (action.Message.Contents.OfType<FunctionCallContent>().Any())
        {
            _searches++;
            return EnvironmentStep.Continue;
        }
        if (AutoRefineFormat.Answer(text) is { } answer) return Judge(answer);
        if (AutoRefineFormat.SearchQuery(text) is { } query)
        {
            _searches++;
            var search = TagTools.First(t => t.Name == SearchTagTool.ToolName);
            var result = await search.InvokeAsync(new AIFunctionArguments { ["query"] = query }, cancellationToken).ConfigureAwait(false);
            return new EnvironmentStep([new ChatMessage(ChatRole.Tool, Observation(result))], 0, false, new Dictionary<string, double>());
        }
        return new EnvironmentStep(
            [new ChatMessage(ChatRole.Tool, "No <search> or <answer> found. Search with <search> query </search> or answer with <answer> ... </answer>.")],
            0, false, new Dictionary<string, double>());
    }

    /// <summary>The observation text of a tag tool's result: the text itself, or the raw JSON of anything else (an error).</summary>
    private static string Observation(object? result) => result switch
    {
        string text => text,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } element => element.GetString() ?? "",
        System.Text.Json.JsonElement element => element.GetRawText(),
        null => "",
        _ => System.Text.Json.JsonSerializer.Serialize(result),
    };

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Judge(null));

    private string Documents(string query)
    {
        var hits = _index?.Search(query, _topK) ?? [];
        var sb = new StringBuilder("<documents>\n");
        for (int i = 0; i < hits.Count; i++) sb.Append('(').Append(i + 1).Append(") ").Append(hits[i].Title).Append(": ").Append(hits[i].Text).Append('\n');
        return sb.Append("</documents>").ToString();
    }

    private EnvironmentStep Judge(string? answer)
    {
        var gold = _task!.Answer;
        var transcript = _transcript.ToString();
        double em = AnswerMetrics.ExactMatch(answer, gold);
        double goldInRefine = AutoRefineFormat.Refinements(transcript).Any(r => AnswerMetrics.Normalize(r).Contains(AnswerMetrics.Normalize(gold), StringComparison.Ordinal)) ? 1 : 0;
        return new EnvironmentStep([], em, true, new Dictionary<string, double>
        {
            ["success"] = em,
            ["answer_em"] = em,
            ["answer_f1"] = AnswerMetrics.F1(answer, gold),
            ["gold_in_refine"] = goldInRefine,
            ["format_ok"] = AutoRefineFormat.IsWellFormed(transcript) && answer is not null ? 1 : 0,
            ["searches"] = _searches,
        });
    }

    /// <inheritdoc />
    public void Dispose() => _index?.Dispose();

    /// <summary>The <c>&lt;search&gt;</c> tag as a tool: the <c>&lt;documents&gt;</c> block, as plain text.</summary>
    private sealed class SearchTagTool(SearchQaEnvironment environment) : AIFunction
    {
        public const string ToolName = "search";

        public override string Name => ToolName;

        public override string Description => "Searches the corpus; returns the top documents.";

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new(environment.Documents(arguments.TryGetValue("query", out var query) ? query?.ToString() ?? "" : ""));
        }
    }
}

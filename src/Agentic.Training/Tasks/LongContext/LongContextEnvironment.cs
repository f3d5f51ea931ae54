using System.Text.RegularExpressions;
using Agentic.Core.Agents;
using Agentic.Training.Evaluation;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.LongContext;

/// <summary>
/// Delivers a long context chunk by chunk: the first user message holds the question and chunk 1; after each
/// assistant turn (its notes or memory) the next chunk follows; after the last chunk the agent must answer. An
/// <c>&lt;answer&gt;</c> ends the episode at any time (early exit). Figures: <c>answer_em</c>,
/// <c>chunks_read</c>, <c>read_all</c> and <c>exit_after_evidence</c> (chunks read after the last evidence chunk).
/// </summary>
/// <remarks>
/// The question and the chunks come from a simulated user (<see cref="ISimulatedUserEnvironment"/>;
/// <see cref="LongContextReader"/> by default), so user noise reaches this suite too: the environment wraps the first line
/// of the user's opening in <c>&lt;problem&gt;</c> and the rest in the first <c>&lt;section&gt;</c>, each later message in
/// the next <c>&lt;section&gt;</c>, and passes on what the user writes after the last one as it is. The clean episode is the
/// same, byte for byte, as when the environment wrote the chunks itself. The user's slots are the task's
/// <see cref="LongContextTask.UserSlots"/> (the asked key or variable).
/// </remarks>
public sealed partial class LongContextEnvironment : AgentEnvironment, ISimulatedUserEnvironment
{
    /// <summary>The reader's hidden first line to the user, which makes it open the conversation.</summary>
    private const string Greeting = "I'm ready to read. What is your question?";

    private readonly SimulatedUserConversation _user = new(new LongContextReader());
    private LongContextTask? _task;
    private int _delivered;

    /// <inheritdoc />
    public IChatClient SimulatedUser
    {
        get => _user.User;
        set => _user.User = value;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> GetUserSlots(AgentTask task) =>
        (task as LongContextTask ?? throw new ArgumentException($"The longcontext environment needs a {nameof(LongContextTask)}.", nameof(task))).UserSlots;

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => [];

    /// <summary>Number of chunks delivered so far in this episode.</summary>
    public int ChunksDelivered => _delivered;

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _task = task as LongContextTask ?? throw new ArgumentException($"The longcontext environment needs a {nameof(LongContextTask)}.", nameof(task));
        _delivered = 1;
        _user.Start(LongContextReader.Brief(_task));
        var opening = await _user.AskAsync(Greeting, cancellationToken).ConfigureAwait(false);
        int lineBreak = opening.IndexOf('\n', StringComparison.Ordinal);
        var (question, section) = lineBreak < 0 ? (opening, "") : (opening[..lineBreak], opening[(lineBreak + 1)..]);
        return
        [
            new ChatMessage(ChatRole.System, "You read a long document one section at a time. After each section, write what you need to remember in <memory> ... </memory>. Answer with <answer> ... </answer> when you know the answer or after the last section."),
            new ChatMessage(ChatRole.User, $"<problem>{question}</problem>\n{Section(0, section)}"),
        ];
    }

    /// <inheritdoc />
    public override async ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        var text = action.Message.Text ?? "";
        var answer = AnswerBlock().Match(text);
        if (answer.Success) return Judge(answer.Groups[1].Value.Trim());
        var reply = await _user.AskAsync(text, cancellationToken).ConfigureAwait(false);
        if (_delivered < _task!.Chunks.Count) reply = Section(_delivered++, reply);
        return new EnvironmentStep([new ChatMessage(ChatRole.User, reply)], 0, false, new Dictionary<string, double>());
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Judge(null));

    private string Section(int index, string text) => $"<section index=\"{index + 1}\" of=\"{_task!.Chunks.Count}\">{text}</section>";

    private EnvironmentStep Judge(string? answer)
    {
        double em = AnswerMetrics.ExactMatch(answer, _task!.Answer);
        return new EnvironmentStep([], em, true, new Dictionary<string, double>
        {
            ["success"] = em,
            ["answer_em"] = em,
            ["chunks_read"] = _delivered,
            ["read_all"] = _delivered == _task.Chunks.Count ? 1 : 0,
            ["exit_after_evidence"] = _delivered - 1 - _task.EvidenceChunks.Max(),
        });
    }

    [GeneratedRegex(@"<answer>(.*?)</answer>", RegexOptions.Singleline)]
    private static partial Regex AnswerBlock();
}

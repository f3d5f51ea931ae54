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
public sealed partial class LongContextEnvironment : AgentEnvironment
{
    private LongContextTask? _task;
    private int _delivered;

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => [];

    /// <summary>Number of chunks delivered so far in this episode.</summary>
    public int ChunksDelivered => _delivered;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _task = task as LongContextTask ?? throw new ArgumentException($"The longcontext environment needs a {nameof(LongContextTask)}.", nameof(task));
        _delivered = 1;
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(
        [
            new ChatMessage(ChatRole.System, "You read a long document one section at a time. After each section, write what you need to remember in <memory> ... </memory>. Answer with <answer> ... </answer> when you know the answer or after the last section."),
            new ChatMessage(ChatRole.User, $"<problem>{_task.Instruction}</problem>\n{Section(0)}"),
        ]);
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        var text = action.Message.Text ?? "";
        var answer = AnswerBlock().Match(text);
        if (answer.Success) return ValueTask.FromResult(Judge(answer.Groups[1].Value.Trim()));
        if (_delivered < _task!.Chunks.Count)
        {
            var next = new ChatMessage(ChatRole.User, Section(_delivered));
            _delivered++;
            return ValueTask.FromResult(new EnvironmentStep([next], 0, false, new Dictionary<string, double>()));
        }
        return ValueTask.FromResult(new EnvironmentStep([new ChatMessage(ChatRole.User, "That was the last section. Give your answer in <answer> ... </answer>.")], 0, false, new Dictionary<string, double>()));
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Judge(null));

    private string Section(int index) => $"<section index=\"{index + 1}\" of=\"{_task!.Chunks.Count}\">{_task.Chunks[index]}</section>";

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

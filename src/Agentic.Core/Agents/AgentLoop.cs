using System.Text.Json;
using Agentic.Core.Chat;
using Agentic.Core.Generation;
using Agentic.Core.Sampling;
using Agentic.Core.Tools;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Agentic.Core.Agents;

/// <summary>One episode to run: an environment instance, the task and the episode seed.</summary>
/// <param name="Environment">The environment (one per concurrent episode).</param>
/// <param name="Task">The task.</param>
/// <param name="Seed">Seed of the environment's randomness for this episode.</param>
public sealed record AgentEpisode(AgentEnvironment Environment, AgentTask Task, ulong Seed);

/// <summary>
/// Runs a local token policy against environments for many turns, in batches: each turn generates for every active
/// episode in one call, parses Hermes tool calls, runs the tools with a timeout (a hanging tool is cancelled and
/// reported; it never stalls the batch), feeds results back as tool messages, and stops on the environment's done,
/// the turn limit or the token budget. The token ids, loss mask and log-probabilities of every policy turn are kept
/// next to the messages, token-in token-out: observations are appended as template segments, never re-tokenizing the
/// policy's own tokens.
/// </summary>
/// <remarks>
/// Malformed model output (broken JSON, unknown tool, bad arguments, unbalanced tags) is not an exception: it
/// becomes an in-band error observation for the agent and a <see cref="TrajectoryEvent"/> (<c>malformed_output</c>,
/// <c>unknown_tool</c>, <c>tool_error</c>, <c>tool_timeout</c>).
/// </remarks>
public class AgentLoop
{
    private readonly ITokenGenerator? _policy;
    private readonly ChatTemplate? _template;
    private readonly Tokenizer? _tokenizer;
    private readonly IChatClient? _chatClient;
    private readonly AgentLoopOptions _options;
    private readonly int[] _newline = [];

    /// <summary>Creates a loop over a local token policy.</summary>
    public AgentLoop(ITokenGenerator policy, ChatTemplate template, Tokenizer tokenizer, AgentLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _options = options ?? new AgentLoopOptions();
        _options.Validate();
        _policy = policy;
        _template = template;
        _tokenizer = tokenizer;
        _newline = tokenizer.EncodeToIds("\n").ToArray();
    }

    /// <summary>
    /// Creates a loop over any <see cref="IChatClient"/> (a remote model, a scripted expert). Tool calls arrive as
    /// <see cref="FunctionCallContent"/> and are run by the loop, not by the client; trajectories carry messages only
    /// (no token ids).
    /// </summary>
    public AgentLoop(IChatClient policy, AgentLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _options = options ?? new AgentLoopOptions();
        _options.Validate();
        _chatClient = policy;
    }

    /// <summary>Runs every episode to its end and returns their trajectories, in order.</summary>
    public async Task<IReadOnlyList<Trajectory>> RunAsync(IReadOnlyList<AgentEpisode> episodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var states = new EpisodeState[episodes.Count];
        for (int i = 0; i < episodes.Count; i++)
        {
            var e = episodes[i];
            var opening = await e.Environment.ResetAsync(e.Task, e.Seed, cancellationToken).ConfigureAwait(false);
            var encoded = _template?.Encode(opening, e.Environment.Tools.Cast<AITool>().ToList(), addGenerationPrompt: true) ?? TokenizedConversation.Empty;
            states[i] = new EpisodeState(e, opening, encoded);
        }

        int turn = 0;
        while (states.Any(s => !s.Finished))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_template is not null)
            {
                // An episode whose context is already at the budget (a long opening prompt) ends without generating.
                foreach (var s in states.Where(s => !s.Finished && Room(s) < 1))
                {
                    var final = await s.Episode.Environment.TruncateAsync(cancellationToken).ConfigureAwait(false);
                    s.Reward += final.Reward;
                    s.Finish(EpisodeEnd.TokenBudget, final.Info);
                }
                if (states.All(s => s.Finished)) break;
            }
            var active = states.Where(s => !s.Finished).ToArray();
            if (_chatClient is not null)
            {
                await Task.WhenAll(active.Select(s => ChatTurnAsync(s, cancellationToken))).ConfigureAwait(false);
                turn++;
                continue;
            }
            var prompts = active.Select(s => (IReadOnlyList<int>)s.Ids).ToArray();
            int room = active.Min(Room);
            var sampling = new SamplingOptions
            {
                Temperature = _options.Temperature,
                TopP = _options.TopP,
                TopK = _options.TopK,
                MaxNewTokens = Math.Max(1, Math.Min(_options.MaxNewTokensPerTurn, room)),
                StopTokenIds = _template!.StopTokenIds,
                Seed = _options.Seed is { } seed ? unchecked(seed + (ulong)turn * 0x9E3779B97F4A7C15UL) : null,
            };
            var generations = _policy!.Generate(prompts, sampling, cancellationToken);
            await Task.WhenAll(active.Select((s, i) => TakeTurnAsync(s, generations[i], cancellationToken))).ConfigureAwait(false);
            turn++;
        }
        return states.Select(s => s.ToTrajectory()).ToArray();
    }

    /// <summary>Policy tokens the episode may still sample: the budget minus its context and the turn's closing
    /// tokens (end of turn and newline) that the loop may have to add.</summary>
    private int Room(EpisodeState state) => _options.MaxTokens - state.Ids.Count - 1 - _newline.Length;

    private async Task ChatTurnAsync(EpisodeState state, CancellationToken cancellationToken)
    {
        var chatOptions = new ChatOptions
        {
            Tools = state.Episode.Environment.Tools.Cast<AITool>().ToList(),
            Temperature = _options.Temperature,
            TopP = _options.TopP,
            TopK = _options.TopK > 0 ? _options.TopK : null,
            MaxOutputTokens = _options.MaxNewTokensPerTurn,
        };
        ChatResponse response;
        try
        {
            response = await _chatClient!.GetResponseAsync(state.Messages, chatOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failing policy ends its own episode (recorded), never the batch.
            state.Events.Add(new TrajectoryEvent(state.Turns, "policy_error", ex.Message));
            var final = await state.Episode.Environment.TruncateAsync(cancellationToken).ConfigureAwait(false);
            state.Reward += final.Reward;
            state.Finish(EpisodeEnd.Done, final.Info);
            return;
        }
        var assistant = response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant) ?? new ChatMessage(ChatRole.Assistant, "");
        await CompleteTurnAsync(state, assistant, [], cancellationToken).ConfigureAwait(false);
    }

    private async Task TakeTurnAsync(EpisodeState state, GenerationResult generation, CancellationToken cancellationToken)
    {
        // The policy's tokens, exactly as sampled; then the template's closing tokens it did not produce.
        var produced = generation.TokenIds;
        state.Append(produced, policy: true, generation.LogProbs);
        var template = _template!;
        bool closed = produced.Length > 0 && produced[^1] == template.EndOfTurnId;
        if (!closed) state.Append([template.EndOfTurnId], policy: false);
        state.Append(_newline, policy: false);

        var reply = closed ? produced[..^1] : produced;
        var text = TokenText.DecodeValidPrefix(_tokenizer!, reply, out int decoded);
        if (decoded < reply.Length) state.Events.Add(new TrajectoryEvent(state.Turns, "malformed_output", $"undecodable token id {reply[decoded]}"));
        var parsed = ToolCallProtocol.Parse(text);
        var contents = new List<AIContent>();
        if (parsed.Content.Length > 0) contents.Add(new TextContent(parsed.Content));
        contents.AddRange(parsed.Calls);
        var assistant = new ChatMessage(ChatRole.Assistant, contents);
        var errors = parsed.Errors.Select(e => $"{e.Kind}: {e.Message}").ToList();
        await CompleteTurnAsync(state, assistant, errors, cancellationToken).ConfigureAwait(false);
    }

    private async Task CompleteTurnAsync(EpisodeState state, ChatMessage assistant, List<string> errors, CancellationToken cancellationToken)
    {
        state.Messages.Add(assistant);
        var calls = assistant.Contents.OfType<FunctionCallContent>().ToList();
        foreach (var e in errors) state.Events.Add(new TrajectoryEvent(state.Turns, "malformed_output", e));
        var results = await InvokeToolsAsync(state, calls, cancellationToken).ConfigureAwait(false);

        var observation = new List<ChatMessage>();
        if (results.Count > 0) observation.Add(new ChatMessage(ChatRole.Tool, results.Cast<AIContent>().ToList()));
        if (errors.Count > 0)
        {
            observation.Add(new ChatMessage(ChatRole.Tool, JsonSerializer.Serialize(new { error = "malformed output", details = errors })));
        }

        var step = await state.Episode.Environment.StepAsync(new AgentAction(assistant, results, errors), cancellationToken).ConfigureAwait(false);
        observation.AddRange(step.Observation);
        state.Events.AddRange(state.Episode.Environment.TakeEvents(state.Turns));
        state.Reward += step.Reward;
        state.Turns++;
        if (step.Done)
        {
            state.Finish(EpisodeEnd.Done, step.Info);
            return;
        }

        // The next context: the observation and the generation prompt. When it would not leave room for a single
        // policy token, the episode ends at the token budget without it, so a trajectory never exceeds MaxTokens
        // (unless its opening prompt alone does).
        var next = new List<int>();
        if (_template is not null)
        {
            foreach (var message in observation) next.AddRange(_template.EncodeMessage(message).Ids);
            next.AddRange(_template.GenerationPrompt);
        }
        bool overBudget = _template is not null && Room(state) - next.Count < 1;
        if (!overBudget)
        {
            state.Messages.AddRange(observation);
            state.Append(next, policy: false);
        }

        EpisodeEnd? limit = overBudget ? EpisodeEnd.TokenBudget
            : state.Turns >= _options.MaxTurns ? EpisodeEnd.TurnLimit
            : null;
        if (limit is { } end)
        {
            var final = await state.Episode.Environment.TruncateAsync(cancellationToken).ConfigureAwait(false);
            state.Reward += final.Reward;
            state.Finish(end, final.Info);
        }
    }

    private async Task<List<FunctionResultContent>> InvokeToolsAsync(EpisodeState state, IReadOnlyList<FunctionCallContent> calls, CancellationToken cancellationToken)
    {
        var results = new List<FunctionResultContent>(calls.Count);
        foreach (var call in calls)
        {
            var tool = state.Episode.Environment.Tools.FirstOrDefault(t => t.Name == call.Name);
            if (tool is null)
            {
                state.Events.Add(new TrajectoryEvent(state.Turns, "unknown_tool", call.Name));
                results.Add(new FunctionResultContent(call.CallId, $"Error: unknown tool '{call.Name}'."));
                continue;
            }
            results.Add(new FunctionResultContent(call.CallId, await InvokeWithTimeoutAsync(state, tool, call, cancellationToken).ConfigureAwait(false)));
        }
        return results;
    }

    private async Task<object?> InvokeWithTimeoutAsync(EpisodeState state, AIFunction tool, FunctionCallContent call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ToolTimeout);
        var invocation = tool.InvokeAsync(new AIFunctionArguments(call.Arguments ?? new Dictionary<string, object?>()), timeout.Token).AsTask();
        // A tool that ignores its token is abandoned at the timeout, never awaited past it.
        var winner = await Task.WhenAny(invocation, Task.Delay(_options.ToolTimeout + TimeSpan.FromMilliseconds(50), cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (winner != invocation || invocation.IsCanceled)
        {
            _ = invocation.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            state.Events.Add(new TrajectoryEvent(state.Turns, "tool_timeout", call.Name));
            return $"Error: tool '{call.Name}' timed out after {_options.ToolTimeout.TotalSeconds:0.###} s.";
        }
        if (invocation.IsFaulted)
        {
            var error = invocation.Exception!.GetBaseException();
            state.Events.Add(new TrajectoryEvent(state.Turns, "tool_error", $"{call.Name}: {error.Message}"));
            return $"Error: {error.Message}";
        }
        return invocation.Result;
    }

    private sealed class EpisodeState(AgentEpisode episode, IReadOnlyList<ChatMessage> opening, TokenizedConversation prompt)
    {
        public AgentEpisode Episode { get; } = episode;
        public List<ChatMessage> Messages { get; } = [.. opening];
        public List<int> Ids { get; } = [.. prompt.Ids];
        public List<bool> Mask { get; } = [.. prompt.Ids.Select(_ => false)];
        public List<float> LogProbs { get; } = [.. prompt.Ids.Select(_ => 0f)];
        public int PromptLength { get; } = prompt.Count;
        public List<TrajectoryEvent> Events { get; } = [];
        public double Reward { get; set; }
        public int Turns { get; set; }
        public bool Finished { get; private set; }
        public EpisodeEnd End { get; private set; }
        public IReadOnlyDictionary<string, double> Info { get; private set; } = new Dictionary<string, double>();

        public void Append(IReadOnlyList<int> ids, bool policy, IReadOnlyList<float>? logProbs = null)
        {
            for (int i = 0; i < ids.Count; i++)
            {
                Ids.Add(ids[i]);
                Mask.Add(policy);
                LogProbs.Add(policy && logProbs is not null ? logProbs[i] : 0f);
            }
        }

        public void Finish(EpisodeEnd end, IReadOnlyDictionary<string, double> info)
        {
            Finished = true;
            End = end;
            Info = info;
        }

        public Trajectory ToTrajectory() => new(Episode.Task, Episode.Seed, Messages, [.. Ids], [.. Mask], [.. LogProbs],
            PromptLength, Reward, Info, End, Turns, Events);
    }
}

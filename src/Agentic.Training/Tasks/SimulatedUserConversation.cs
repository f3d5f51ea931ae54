using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks;

/// <summary>
/// The simulated user's side of an episode (<see cref="ISimulatedUserEnvironment"/>): its brief as the system message,
/// then the agent's messages as <see cref="ChatRole.User"/> and its own replies as <see cref="ChatRole.Assistant"/>.
/// One per environment, one episode at a time.
/// </summary>
internal sealed class SimulatedUserConversation(IChatClient user)
{
    private readonly List<ChatMessage> _view = [];
    private IChatClient _user = user;

    /// <summary>Gets or sets the simulated user. Replace it only between episodes.</summary>
    public IChatClient User
    {
        get => _user;
        set => _user = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Starts a new episode: forgets the last one and gives the user its brief.</summary>
    public void Start(string brief)
    {
        _view.Clear();
        _view.Add(new ChatMessage(ChatRole.System, brief));
    }

    /// <summary>Shows the user the agent's message and returns its reply, trimmed (both join the user's view).</summary>
    public async Task<string> AskAsync(string agentText, CancellationToken cancellationToken)
    {
        _view.Add(new ChatMessage(ChatRole.User, agentText));
        var response = await _user.GetResponseAsync(_view, null, cancellationToken).ConfigureAwait(false);
        var reply = response.Text.Trim();
        _view.Add(new ChatMessage(ChatRole.Assistant, reply));
        return reply;
    }
}
